"""The strength labels on a list of results: one per result, set by the Searcher, never rising down the list."""

from __future__ import annotations

import json

import pytest

from nets_search.search.labels import label_results, named, strength_of, top_label
from nets_search.types import LABELS, Passage, Result, SearchResponse

from ..conftest import SEED_CORPUS


def results(*ranks: tuple[int | None, int | None]) -> tuple[Result, ...]:
    """One result per (lexical rank, dense rank) pair, in list order."""
    return tuple(Result(rank=i, score=1.0 / i, passage=Passage(f"p{i}", "d", "T", "S", "text", i, 0),
                        retriever_ranks=(("lexical", lexical), ("dense", dense)))
                 for i, (lexical, dense) in enumerate(ranks, 1))


def never_rises(labels: list[str]) -> bool:
    return all(LABELS.index(below) >= LABELS.index(above) for above, below in zip(labels, labels[1:]))


@pytest.mark.parametrize(("ranks", "expected"), [
    (((3, 1), (2, 2), (1, 6)), ["good", "good", "good"]),  # "Good match" first, "Strong match" below: capped
    (((1, 1), (2, 2), (5, 3), (None, 4)), ["strong", "strong", "good", "related"]),
    (((None, 1), (1, 1), (2, 2)), ["related", "related", "related"]),
    (((11, 1), (2, 2), (None, 3), (1, 1)), ["related", "related", "related", "related"]),
    (((1, 2), (12, 3), (3, 3)), ["strong", "related", "related"]),
])
def test_a_label_is_its_own_strength_capped_by_the_label_above(ranks, expected):
    labelled = label_results(results(*ranks), no_good_match=False, tentative=False)
    assert [r.label for r in labelled] == expected
    assert labelled[0].label == strength_of(labelled[0], False, False).css
    assert [r.passage.passage_id for r in labelled] == [f"p{i}" for i in range(1, len(ranks) + 1)]


@pytest.mark.parametrize(("no_good_match", "tentative", "label"), [(True, False, "weak"), (False, True, "related")])
def test_not_covered_is_weak_and_tentative_at_most_related_all_down_the_list(no_good_match, tentative, label):
    labelled = label_results(results((1, 1), (2, 2), (3, 3)), no_good_match, tentative)
    assert {r.label for r in labelled} == {label}


@pytest.mark.parametrize("below", [((1, 1),), ((9, 9), (1, 1)), ((None, 2), (2, 3), (1, 1))])
def test_the_same_first_passage_with_the_same_evidence_gets_the_same_label_whatever_is_below(below):
    alone = label_results(results((3, 1)), False, False)[0]
    with_others = label_results(results((3, 1), *below), False, False)[0]
    assert alone.label == with_others.label == "good"


def test_the_json_answer_carries_each_label_and_the_plain_words_name_it():
    response = SearchResponse("q", label_results(results((1, 1), (4, 2)), False, False))
    assert [r["label"] for r in response.to_dict()["results"]] == ["strong", "good"]
    assert top_label(response) == response.results[0].label == "strong"
    assert named("good").label == "Good match" and [named(label).css for label in LABELS] == list(LABELS)


def _questions() -> list[str]:
    lines = []
    for name in ("golden-questions.jsonl", "lay-questions.jsonl", "calibration-out-of-scope.jsonl"):
        lines += (SEED_CORPUS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def test_labels_never_rise_down_a_real_list_and_the_same_evidence_gives_the_same_label(seed_searcher):
    """Every labelled question of the seed page (phrasings of the same questions among them): no list reads
    stronger further down, and a passage first for several questions carries one label wherever its evidence
    (its retriever ranks, the no-good-match and tentative decisions) is the same."""
    label_of: dict[tuple, set[str]] = {}
    for question in _questions():
        response = seed_searcher.search(question, k=8)
        labels = [r.label for r in response.results]
        assert never_rises(labels), (question, labels)
        assert labels[0] == top_label(response), question
        first = response.results[0]
        key = (first.passage.passage_id, first.retriever_ranks, response.no_good_match, response.tentative)
        label_of.setdefault(key, set()).add(first.label)
    assert all(len(found) == 1 for found in label_of.values())
    assert sum(len(found) for found in label_of.values()) < len(_questions())  # some evidence was met twice
