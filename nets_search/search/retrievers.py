"""The retriever registry: every way the engine ranks passages, by name. Fusion, the search modes, each result's
ranks, the CLI's `--mode` choices and the page's strength labels all come from here, so a new retriever is its own
function plus one `register(...)` line.

A retriever's `run(searcher, search)` returns (passage row, score) best first; `search` is the one search in
progress (`Search`): the prepared question, its vector, and the rankings of the retrievers registered before it
(the dense retriever scores the lexical hits too: `search.ranking("lexical")`), plus a place for by-products later
steps read (the sentence cosines the best sentence is chosen from). A retriever marked `beside` may be started on a
helper thread before the others run (the searcher decides when that pays); `ranking` waits for it.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass
class Search:
    """One search in progress: mutable by design, the retrievers fill in their rankings in turn."""

    query: Any  # search._Query
    vector: np.ndarray
    ranked: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, tuple[Future, Callable[[], list]]] = field(default_factory=dict)  # rankings started on
    # helper threads, each with the call that makes it here instead if its job has not started yet

    def ranking(self, name: str) -> list[tuple[int, float]]:
        """A retriever's ranking ([] if none): how a retriever reads another's, since one started on a helper
        thread is not in `ranked` until it is asked for. A job still queued behind other searches' work is taken
        back and run on this thread rather than waited for."""
        if name in self.pending:
            job, run_here = self.pending.pop(name)
            self.ranked[name] = run_here() if job.cancel() else job.result()
        return self.ranked.get(name, [])

    def cancel_pending(self) -> None:
        """Jobs of a search that failed: those not started are dropped (a running one finishes unread)."""
        for job, _ in self.pending.values():
            job.cancel()
        self.pending.clear()


@dataclass(frozen=True)
class Retriever:
    name: str
    run: Callable[[Any, Search], list[tuple[int, float]]]
    weight: Callable[[Any], float]  # its weight in fusion, from the FusionSettings
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


def _lexical(searcher, search: Search) -> list[tuple[int, float]]:
    return searcher.lexical_ranking(search.query)


def _dense(searcher, search: Search) -> list[tuple[int, float]]:
    ranking, search.extras["sentence_cos"] = searcher.dense_ranking(search.vector, lambda: search.ranking("lexical"))
    return ranking


register(Retriever("lexical", _lexical, weight=lambda fusion: fusion.lexical_weight, scaled=True, beside=True))
register(Retriever("dense", _dense, weight=lambda fusion: fusion.dense_weight))
