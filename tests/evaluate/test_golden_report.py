"""Scoring a retriever on golden questions: ranks, flags, best sentences and labels, on made-up answers and on the seed index."""

from __future__ import annotations

import pytest

from nets_search.evaluate.golden import GoldenQuestion, load_golden, passage_matches
from nets_search.evaluate.golden_report import evaluate_golden
from nets_search.types import Passage, Result, SearchResponse

from ..conftest import SEED_CORPUS, SHARED

GOLDEN = SEED_CORPUS / "golden-questions.jsonl"

SHARED_DEV = SHARED / "data" / "nets-dev-questions.jsonl"


# --------------------------------------------------------------------------- golden evaluation


def passage(text: str, n: int) -> Passage:
    return Passage(passage_id=f"p{n}", doc_id="page", title="Page", section="", text=text, position=n, section_index=0)


def response(question: str, texts: list[str], flagged: bool = False) -> SearchResponse:
    results = tuple(Result(rank=i, score=1.0 / i, passage=passage(t, i)) for i, t in enumerate(texts, 1))
    return SearchResponse(query=question, results=results, no_good_match=flagged)


def test_evaluate_golden_scores_ranks_and_flags():
    answers = {
        "first": response("first", ["alpha here", "other", "other"]),
        "third": response("third", ["other", "noise", "beta here"], flagged=True),
        "never": response("never", ["other", "noise"]),
        "cake": response("cake", ["other"], flagged=True),
        "trains": response("trains", ["other"]),
    }
    questions = [
        GoldenQuestion("q1", "first", (("alpha",),)),
        GoldenQuestion("q2", "third", (("beta",),)),
        GoldenQuestion("q3", "never", (("gamma",),)),
        GoldenQuestion("o1", "cake", out_of_scope=True),
        GoldenQuestion("o2", "trains", out_of_scope=True),
    ]
    report = evaluate_golden(answers.__getitem__, questions)
    assert (report.in_scope, report.out_of_scope) == (3, 2)
    assert report.hit_at_1 == pytest.approx(1 / 3)  # only q1 at rank 1
    assert report.hit_at_3 == pytest.approx(2 / 3)  # q1 and q2 (rank 3)
    assert report.mrr_at_5 == pytest.approx((1 + 1 / 3 + 0) / 3)  # 0.44444
    assert (report.out_of_scope_flagged, report.in_scope_flagged) == (1, 1)
    assert [(m.id, m.rank, m.winner.text) for m in report.misses] == [("q2", 3, "other"), ("q3", None, "other")]
    assert report.to_dict()["questions"]["o1"] == {"rank": None, "flagged": True, "out_of_scope": True}


def test_only_the_first_five_passages_count():
    texts = ["x"] * 5 + ["the answer"]
    report = evaluate_golden(lambda q: response(q, texts), [GoldenQuestion("q", "?", (("answer",),))])
    assert report.mrr_at_5 == 0.0 and report.misses[0].rank is None


def test_golden_questions_with_the_real_searcher(seed_searcher):
    """The project's golden file against an index of corpus/ built in a temporary folder, on the real model."""
    questions = load_golden(GOLDEN)
    report = evaluate_golden(lambda q: seed_searcher.search(q, k=5), questions)
    in_scope = sum(not q.out_of_scope for q in questions)
    assert report.in_scope == in_scope and report.out_of_scope == len(questions) - in_scope
    assert report.hit_at_1 <= report.hit_at_3 and report.hit_at_1 <= report.mrr_at_5 <= report.hit_at_3 + 1e-9
    assert report.hit_at_3 >= 0.8, [m.to_dict() for m in report.misses]
    assert len(report.misses) == in_scope - round(report.hit_at_1 * in_scope)
    for miss in report.misses:  # what "won instead" really lacks the answer
        assert miss.winner is not None and not passage_matches(miss.winner.text, miss.expect)


def test_every_expected_answer_exists_in_some_indexed_passage(seed_searcher):
    """A golden question whose phrases no single passage holds could never pass: catch it when pages change."""
    for q in load_golden(GOLDEN):
        if not q.out_of_scope:
            assert any(passage_matches(p.text, q.expect) for p in seed_searcher.passages), q.id


@pytest.mark.skipif(not SHARED_DEV.exists(), reason="../shared/data/nets-dev-questions.jsonl is absent (no shared checkout)")
def test_the_shared_dev_questions_evaluate(seed_searcher):
    questions = load_golden(SHARED_DEV)
    report = evaluate_golden(lambda q: seed_searcher.search(q, k=5), questions)
    assert report.in_scope + report.out_of_scope == len(questions) and report.hit_at_3 > 0


def test_golden_evaluation_counts_first_passages_labelled_strong_or_good_by_scope():
    def result(dense_rank):
        passage = Passage("p", "d", "T", "S", "flushing happens", 0, 0)
        return Result(rank=1, score=0.5, passage=passage, retriever_ranks=(("dense", dense_rank), ("lexical", 1)))

    answers = {
        "sure off-topic": SearchResponse("q", (result(1),)),
        "tentative off-topic": SearchResponse("q", (result(1),), tentative=True),
        "flagged off-topic": SearchResponse("q", (result(1),), no_good_match=True),
        "nothing found": SearchResponse("q", ()),
        "related in scope": SearchResponse("q", (result(30),)),
        "sure in scope": SearchResponse("q", (result(3),)),
    }
    outside = {text for text in answers if "off-topic" in text or "nothing" in text}
    questions = [GoldenQuestion(f"id{i}", text, expect=() if text in outside else (("flushing",),),
                                out_of_scope=text in outside) for i, text in enumerate(answers)]
    report = evaluate_golden(lambda text: answers[text], questions)
    assert (report.out_of_scope_labelled_sure, report.in_scope_labelled_sure) == (1, 1)
