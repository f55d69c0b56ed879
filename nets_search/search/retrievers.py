"""The retrievers: every way the engine ranks passages, each with its own ranking code, and their registry by name.
Fusion, the search modes, each result's ranks, the CLI's `--mode` choices and the page's strength labels all come
from the registry, so a new retriever is its own function plus one `register(...)` line, and the searcher does not
change.

A retriever's `run(sources, search)` reads the opened version through `sources` (`Sources`: BM25 index, candidate
scan, passage and sentence vectors) and the one search in progress through `search` (`Search`: the prepared
question, its vector, the fusion settings, and the rankings of the retrievers registered before it: the dense
retriever scores the lexical hits too, `search.ranking("lexical")`). It returns what it found (`Found`): its
ranking and, if it scored sentences, their cosines, from which each result's best sentence is chosen. A retriever
marked `beside` may be started on a helper thread before the others run (the searcher decides when that pays);
`ranking` waits for it.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from nets_search.index.lexical import LexicalIndex
from nets_search.index.vectors import VectorIndex
from nets_search.search.fusion import FusionSettings
from nets_search.search.query import PreparedQuery
from nets_search.search.sentence_scores import SentenceScorer
from nets_search.types import Passage

CANDIDATES = 50  # nearest passages and BM25 hits each, scored exactly. 100 before: on MedQuAD's tune part nDCG@10
# 0.777 -> 0.775 with 50, the NETs tune parts unchanged, 0.7 ms less per search (6.4 -> 5.7 ms p50, interleaved)

Ranking = list[tuple[int, float]]  # (passage row, score), best first


@dataclass(frozen=True)
class Sources:
    """What the retrievers read of an opened index version."""

    passages: list[Passage]  # by row
    lexical: LexicalIndex
    candidate_index: VectorIndex  # a question's nearest passages, to be scored exactly
    scorer: SentenceScorer  # passage and sentence vectors, and which sentences are whose


@dataclass(frozen=True)
class Found:
    """What one retriever found for one question."""

    ranking: Ranking
    sentence_cosines: dict[int, np.ndarray] = field(default_factory=dict)  # by passage row: the question's cosine
    # with each of its sentences, for the passages it scored sentence by sentence


@dataclass
class Search:
    """One search in progress: mutable by design, the retrievers' findings are filled in in turn."""

    query: PreparedQuery
    vector: np.ndarray
    fusion: FusionSettings = FusionSettings()
    found: dict[str, Found] = field(default_factory=dict)
    pending: dict[str, tuple[Future, Callable[[], Found]]] = field(default_factory=dict)  # findings started on
    # helper threads, each with the call that makes them here instead if its job has not started yet

    def finding(self, name: str) -> Found:
        """A retriever's findings (nothing if it has none): how a retriever reads another's, since one started on a
        helper thread is not in `found` until it is asked for. A job still queued behind other searches' work is
        taken back and run on this thread rather than waited for."""
        if name in self.pending:
            job, run_here = self.pending.pop(name)
            self.found[name] = run_here() if job.cancel() else job.result()
        return self.found.get(name) or Found([])

    def ranking(self, name: str) -> Ranking:
        return self.finding(name).ranking

    def sentence_cosines(self) -> dict[int, np.ndarray]:
        """Every retriever's sentence cosines together (the same question vector gives the same cosines)."""
        return {row: cosines for found in self.found.values() for row, cosines in found.sentence_cosines.items()}

    def cancel_pending(self) -> None:
        """Jobs of a search that failed: those not started are dropped (a running one finishes unread)."""
        for job, _ in self.pending.values():
            job.cancel()
        self.pending.clear()


@dataclass(frozen=True)
class Retriever:
    name: str
    run: Callable[[Sources, Search], Found]
    weight: Callable[[FusionSettings], float]  # its weight in fusion
    scaled: bool = False  # scores scaled to the question's best before fusion (BM25's are unbounded)
    beside: bool = False  # needs only the question, not its vector nor another ranking (it must not ask for one:
    # it would wait on the helper threads from one of them): may run beside the others


REGISTRY: dict[str, Retriever] = {}


def register(retriever: Retriever) -> Retriever:
    """Add (or replace) a retriever; retrievers run in the order they were first registered."""
    REGISTRY[retriever.name] = retriever
    return retriever


def unregister(name: str) -> None:
    REGISTRY.pop(name, None)


def modes() -> tuple[str, ...]:
    """The search modes: every retriever fused ("hybrid"), or one retriever alone."""
    return ("hybrid", *REGISTRY)


def lexical(sources: Sources, search: Search) -> Found:
    """BM25 over the question's own terms, plus its glossary expansions' at the expansion weight."""
    query = search.query
    own = dict(sources.lexical.search(query.terms, CANDIDATES))
    if query.expansion_terms:
        for row, score in sources.lexical.search(query.expansion_terms, CANDIDATES):
            own[row] = own.get(row, 0.0) + search.fusion.expansion_weight * score
    return Found(sorted(own.items(), key=lambda pair: (-pair[1], pair[0]))[:CANDIDATES])


def dense(sources: Sources, search: Search) -> Found:
    """The candidates (the nearest passages and the lexical hits) scored exactly, passage and best sentence."""
    ranking, cosines = sources.scorer.dense_scores(search.vector, candidates(sources, search),
                                                   search.fusion.sentence_weight)
    return Found(ranking, cosines)


def candidates(sources: Sources, search: Search) -> list[int]:
    """Passages worth scoring exactly, sentence by sentence: the nearest passages and the lexical hits (asked for
    after the scan: they may still be on their way). (The sentences are not searched across the whole index: on
    MedQuAD's 184,000 sentences that costs ~10 ms a question, and the two candidate lists already hold the passages
    whose sentences answer.)"""
    rows = [row for row, _ in sources.candidate_index.search(search.vector, CANDIDATES)]
    rows += [row for row, _ in search.ranking("lexical")]
    return list(dict.fromkeys(rows))


register(Retriever("lexical", lexical, weight=lambda fusion: fusion.lexical_weight, scaled=True, beside=True))
register(Retriever("dense", dense, weight=lambda fusion: fusion.dense_weight))
