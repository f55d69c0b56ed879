"""Retrieval metrics against hand-computed values; the fixed tune/test split; Wilson intervals of shares."""

from __future__ import annotations

import copy
from math import log2

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nets_search.evaluate.metrics import (mrr_at_k, ndcg_at_k, part_of, ranked_doc_ids, recall_at_k, share_interval,
                                  split_parts)


# --------------------------------------------------------------------------- metrics
#
# One query, graded judgements: a is highly relevant (2), b and d relevant (1), c judged not relevant (0).
# The retriever ranks x (unjudged) first, then b, a, d.
QRELS = {"q": {"a": 2, "b": 1, "c": 0, "d": 1}}
RESULTS = {"q": {"x": 0.9, "b": 0.8, "a": 0.7, "d": 0.1}}
# Ideal gains, best first: [2, 1, 1]; IDCG@3 = 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.63093 + 0.5 = 3.13093


@pytest.mark.parametrize(
    "k, expected",
    [
        # top 1 = [x]: DCG = 0 -> 0
        (1, 0.0),
        # top 2 = [x, b]: DCG = 0 + 1/log2(3) = 0.63093; IDCG@2 = 2 + 1/log2(3) = 2.63093; 0.63093/2.63093
        (2, 0.239813),
        # top 3 = [x, b, a]: DCG = 0 + 1/log2(3) + 2/log2(4) = 1.63093; / 3.13093
        (3, 0.520909),
        # top 5 = [x, b, a, d]: DCG = 1.63093 + 1/log2(5) = 1.63093 + 0.43068 = 2.06161 / 3.13093; IDCG@5 = IDCG@3 (3 relevant)
        (5, 0.658465),
    ],
)
def test_ndcg_uses_graded_gains_and_a_log2_discount(k, expected):
    assert ndcg_at_k(RESULTS, QRELS, k).mean == pytest.approx(expected, abs=1e-6)


def test_ndcg_hand_arithmetic_matches_the_decimal_figures():
    """The decimals above, written out as arithmetic, so a reader can check them."""
    assert (1 / log2(3) + 2 / log2(4)) / (2 + 1 / log2(3) + 1 / log2(4)) == pytest.approx(0.520909, abs=1e-6)
    assert (1 / log2(3) + 2 / log2(4) + 1 / log2(5)) / (2 + 1 / log2(3) + 1 / log2(4)) == pytest.approx(0.658465, abs=1e-6)


@pytest.mark.parametrize(
    "results, expected",
    [
        ({"q": {"a": 3, "b": 2, "d": 1}}, 1.0),  # the ideal order itself
        ({"q": {"d": 3, "b": 2, "a": 1}}, (1 + 1 / log2(3) + 2 / log2(4)) / (2 + 1 / log2(3) + 1 / log2(4))),  # 0.84030
        ({"q": {"c": 1.0, "x": 0.5}}, 0.0),  # only a judged-irrelevant and an unjudged document
        ({}, 0.0),  # the retriever returned nothing for a judged query: it scores 0, it is not skipped
    ],
)
def test_ndcg_edge_rankings(results, expected):
    score = ndcg_at_k(results, QRELS, 10)
    assert score.mean == pytest.approx(expected, abs=1e-9) and score.evaluated == 1


@pytest.mark.parametrize(
    "k, expected",
    [
        (1, 0.0),  # [x]: nothing relevant
        (2, 0.5),  # [x, b]: first relevant at rank 2 -> 1/2
        (10, 0.5),  # deeper lists do not change the first relevant rank
    ],
)
def test_mrr_is_the_reciprocal_rank_of_the_first_relevant_document(k, expected):
    assert mrr_at_k(RESULTS, QRELS, k).mean == pytest.approx(expected)


@pytest.mark.parametrize(
    "k, expected",
    [
        (1, 0.0),  # [x] holds none of {a, b, d}
        (2, 1 / 3),  # [x, b] holds b: 1 of 3
        (3, 2 / 3),  # [x, b, a] holds a and b: 2 of 3 (grades do not matter for recall)
        (100, 1.0),  # all four returned: 3 of 3
    ],
)
def test_recall_is_the_share_of_relevant_documents_found(k, expected):
    assert recall_at_k(RESULTS, QRELS, k).mean == pytest.approx(expected)


def test_queries_without_relevant_documents_are_skipped_and_counted():
    qrels = {"q1": {"a": 1}, "q2": {"b": 0}, "q3": {"c": 1}}
    results = {"q1": {"a": 1.0}, "q2": {"b": 1.0}, "q4": {"z": 1.0}}
    score = mrr_at_k(results, qrels, 10)
    # q1: a at rank 1 -> 1; q3 judged but not retrieved -> 0; q2 (only a 0 grade) and q4 (unjudged) skipped.
    assert score.mean == pytest.approx((1 + 0) / 2)
    assert score.per_query == {"q1": 1.0, "q3": 0.0}
    assert score.skipped == ("q2", "q4")


def test_a_mean_over_several_queries():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 1}}
    results = {"q1": {"a": 0.9, "x": 0.1}, "q2": {"x": 0.9, "y": 0.5, "b": 0.1}, "q3": {"x": 0.9}}
    # reciprocal ranks 1, 1/3, 0 -> (1 + 0.33333 + 0) / 3 = 0.44444
    assert mrr_at_k(results, qrels, 10).mean == pytest.approx(4 / 9)
    # recall@2: 1, 0 (b is third), 0 -> 1/3
    assert recall_at_k(results, qrels, 2).mean == pytest.approx(1 / 3)


@pytest.mark.parametrize("k, expected", [(1, 0.0), (2, 0.0), (3, 1 / 3)])
def test_equal_scores_are_ordered_by_doc_id(k, expected):
    results = {"q": {"c": 0.5, "b": 0.5, "a": 0.5}}  # a tie: the order is a, b, c whatever the dict order
    assert ranked_doc_ids(results["q"], 3) == ["a", "b", "c"]
    assert mrr_at_k(results, {"q": {"c": 1}}, k).mean == pytest.approx(expected)


def test_metrics_do_not_modify_their_inputs():
    results, qrels = copy.deepcopy(RESULTS), copy.deepcopy(QRELS)
    for metric in (ndcg_at_k, mrr_at_k, recall_at_k):
        metric(results, qrels, 2)
    assert results == RESULTS and qrels == QRELS


def test_k_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        ndcg_at_k(RESULTS, QRELS, 0)


# --------------------------------------------------------------------------- the tune/test split


@pytest.mark.parametrize("seed", ["nets-search-2026", "another seed"])
def test_the_split_is_fixed_by_its_seed_and_deals_about_half_each(seed):
    ids = [f"q{i}" for i in range(400)]
    first = [part_of(i, seed) for i in ids]
    assert first == [part_of(i, seed) for i in ids]  # the same every time, whatever else is asked
    assert 150 < first.count("tune") < 250
    assert first != [part_of(i, seed + "!") for i in ids]  # the seed decides it


def test_split_parts_keeps_every_item_once():
    items = [{"id": f"x{i}"} for i in range(50)]
    parts = split_parts(items, key=lambda item: item["id"])
    assert sorted(i["id"] for p in parts.values() for i in p) == sorted(i["id"] for i in items)
    assert set(parts) == {"tune", "test"}


# --------------------------------------------------------------------------- intervals


@pytest.mark.parametrize("count, total, expected", [
    (8, 10, (0.4902, 0.9433)),  # the Wilson interval's textbook example
    (0, 44, (0.0, 0.0803)),
    (44, 44, (0.9197, 1.0)),
    (0, 0, (0.0, 1.0)),  # nothing measured: anything is possible
])
def test_a_share_comes_with_its_wilson_interval(count, total, expected):
    assert share_interval(count, total) == pytest.approx(expected, abs=1e-4)


@given(st.integers(1, 400), st.data())
def test_a_share_lies_inside_its_interval_and_more_questions_narrow_it(total, data):
    count = data.draw(st.integers(0, total))
    low, high = share_interval(count, total)
    assert 0.0 <= low <= count / total <= high <= 1.0
    wider = share_interval(count, total)
    narrower = share_interval(4 * count, 4 * total)
    assert narrower[1] - narrower[0] < wider[1] - wider[0]


def test_a_count_outside_its_total_is_refused():
    with pytest.raises(ValueError, match="between 0 and the total"):
        share_interval(5, 4)
