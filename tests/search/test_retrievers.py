"""retrievers.py: the registry, the one search in progress, and a retriever added from outside the searcher."""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future

import numpy as np
import pytest

from nets_search.search import retrievers
from nets_search.search import searcher as searcher_module
from nets_search.search.retrievers import CANDIDATES, Found, Retriever, Search, Sources

QUESTIONS = ["carcinoid syndrome symptoms", "why does my face go red", "can NETs spread and need surgery"]


def by_best_sentence(sources: Sources, search: Search) -> Found:
    """A third retriever, written here and registered without a change to the searcher: every passage scored by
    its best sentence's cosine alone, over all the version's sentences (no candidate list: it finds passages the
    others may not). Passages without sentences are left out."""
    cosines = sources.scorer.sentence_vectors @ search.vector
    by_row = {row: cosines[sentence_rows] for row in range(len(sources.passages))
              if (sentence_rows := sources.scorer.sentence_rows(row))}
    scored = sorted(((row, float(sims.max())) for row, sims in by_row.items()), key=lambda pair: (-pair[1], pair[0]))
    return Found(scored[:CANDIDATES], {row: by_row[row] for row, _ in scored[:CANDIDATES]})


def sentence_retriever(weight: float) -> Retriever:
    return Retriever("sentence", by_best_sentence, weight=lambda fusion: weight)


@pytest.fixture
def registered():
    """Registers the sentence retriever at a weight (`registered(w)`) and always unregisters it afterwards."""
    yield lambda weight: retrievers.register(sentence_retriever(weight)).name
    retrievers.unregister("sentence")
    assert retrievers.modes() == ("hybrid", "lexical", "dense")


def test_a_registered_retriever_is_a_mode_of_its_own(seed_searcher, registered):
    from nets_search.cli import main as cli

    name = registered(0.2)
    assert name in retrievers.modes()
    assert cli.make_parser().parse_args(["search", "x", "--mode", name]).mode == name
    alone = seed_searcher.search("why does my face go red", k=5, mode=name).results
    scores = [r.score for r in alone]
    assert alone and scores == sorted(scores, reverse=True) and all(-1.0 <= s <= 1.0 + 1e-6 for s in scores)
    assert all(r.best_sentence is not None for r in alone)  # chosen from the cosines it found


@pytest.mark.parametrize("question", QUESTIONS)
def test_hybrid_search_ranks_with_the_registered_retriever_and_weighs_it(seed_searcher, registered, question):
    without = seed_searcher.search(question, k=8)
    registered(0.0)
    unweighed = seed_searcher.search(question, k=8)
    assert [(r.passage.passage_id, r.score) for r in unweighed.results] == [
        (r.passage.passage_id, r.score) for r in without.results]  # at weight 0 it changes nothing
    assert all("sentence" in r.ranks for r in unweighed.results)
    assert unweighed.results[0].to_dict()["ranks"]["sentence"] is not None  # and its ranks are shown
    registered(1000.0)
    dominant = seed_searcher.search(question, k=8)
    alone = seed_searcher.search(question, k=8, mode="sentence")
    assert dominant.results[0].passage == alone.results[0].passage  # at a large weight it decides the order
    assert [r.score for r in dominant.results] != [r.score for r in without.results]


def test_the_modes_are_hybrid_and_each_registered_retriever():
    assert retrievers.modes() == ("hybrid", "lexical", "dense")


# --------------------------------------------------------------------------- BM25 beside the vector scan


class _NearestOnly:
    """The candidate scan cut to the single nearest passage: every other candidate must come from BM25's hits."""

    def __init__(self, index):
        self._index = index

    def search(self, vector, k):
        return self._index.search(vector, 1)


@pytest.mark.parametrize("question", QUESTIONS)
def test_bm25_beside_the_vector_scan_gives_the_answers_it_gives_in_turn(seed_searcher, monkeypatch, question):
    sources = seed_searcher._sources
    monkeypatch.setattr(seed_searcher, "_sources",
                        dataclasses.replace(sources, candidate_index=_NearestOnly(sources.candidate_index)))
    in_turn = seed_searcher.search(question, k=8)
    pending = []
    dense = retrievers.REGISTRY["dense"]

    def recorded(sources, current):
        pending.append(list(current.pending))
        return dense.run(sources, current)

    monkeypatch.setattr(searcher_module, "BESIDE_FROM", 0)  # as on a large index
    monkeypatch.setitem(retrievers.REGISTRY, "dense", dataclasses.replace(dense, run=recorded))
    beside = seed_searcher.search(question, k=8)
    assert pending == [["lexical"]]  # BM25 was started on a helper before the dense retriever ran
    assert beside.to_dict() == in_turn.to_dict()
    scored_dense = [r for r in beside.results if dict(r.retriever_ranks)["dense"] is not None]
    assert len(scored_dense) > 1  # BM25's hits reached the dense scoring: the cut scan alone gives one passage


def test_a_failed_search_drops_the_bm25_job_it_started(seed_searcher, monkeypatch):
    seen = []

    def failing(sources, current):
        seen.append((current, list(current.pending)))
        raise RuntimeError("the dense retriever failed")

    monkeypatch.setattr(searcher_module, "BESIDE_FROM", 0)
    monkeypatch.setitem(retrievers.REGISTRY, "dense", dataclasses.replace(retrievers.REGISTRY["dense"], run=failing))
    with pytest.raises(RuntimeError, match="dense retriever failed"):
        seed_searcher.search("can I drink coffee")
    (current, pending_then), = seen
    assert pending_then == ["lexical"]  # BM25 had been started beside it
    assert not current.pending  # and was dropped (or left to finish unread) when the search failed


def test_a_queued_job_is_taken_back_and_run_on_the_callers_thread():
    queued = Future()  # never started: as a job waiting behind other searches' work
    found = Found([(3, 1.0)], {3: np.ones(2)})
    current = Search(query=None, vector=None, pending={"lexical": (queued, lambda: found)})
    assert current.ranking("lexical") == [(3, 1.0)] and queued.cancelled()
    assert current.found == {"lexical": found} and not current.pending
    assert current.ranking("dense") == [] and list(current.sentence_cosines()) == [3]
