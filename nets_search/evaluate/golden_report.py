"""Scoring a retriever on golden questions: hit@1, hit@3 and MRR@5 over the in-scope questions, whether the best
sentence holds the answer, and how the "no good match" flag and the strong/good labels fell on in-scope and
out-of-scope questions."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from nets_search.evaluate.golden import GoldenQuestion, fold, passage_matches
from nets_search.evaluate.metrics import share_interval
from nets_search.search.labels import CONFIDENT_LABELS, top_label
from nets_search.types import Passage, SearchResponse

SearchFn = Callable[[str], SearchResponse]
GOLDEN_DEPTH = 5  # hit@1, hit@3 and MRR@5 need the first five passages


@dataclass(frozen=True)
class GoldenMiss:
    """An in-scope question whose answer was not ranked first."""

    id: str
    question: str
    expect: tuple[tuple[str, ...], ...]
    rank: int | None  # rank of the first passage holding the answer, None if not in the results
    winner: Passage | None  # the passage ranked first instead

    def to_dict(self) -> dict:
        won = self.winner
        return {
            "id": self.id,
            "question": self.question,
            "expect": [list(a) for a in self.expect],
            "rank": self.rank,
            "winner": None if won is None else {
                "passage_id": won.passage_id, "doc_id": won.doc_id, "title": won.title, "section": won.section, "text": won.text,
            },
        }


@dataclass(frozen=True)
class GoldenReport:
    """Hit figures are over in-scope questions only; flagging ("no good match") is counted separately."""

    in_scope: int
    hit_at_1: float
    hit_at_3: float
    mrr_at_5: float
    out_of_scope: int
    out_of_scope_flagged: int
    in_scope_flagged: int
    misses: tuple[GoldenMiss, ...]
    ranks: Mapping[str, int | None] = field(default_factory=dict)  # in-scope id -> rank of first hit
    flagged: Mapping[str, bool] = field(default_factory=dict)  # every id -> response.no_good_match
    seconds: float = 0.0
    best_sentence_hits: int = 0  # answered first: the best sentence holds an expected phrase
    best_sentence_asked: int = 0  # in-scope questions answered first (the ones whose best sentence is judged)
    out_of_scope_labelled_sure: int = 0  # out-of-scope questions whose first passage is labelled strong or good
    in_scope_labelled_sure: int = 0  # in-scope questions whose first passage is labelled strong or good

    @property
    def best_sentence_rate(self) -> float:
        return _share(self.best_sentence_hits, self.best_sentence_asked)

    def counts(self) -> dict[str, tuple[int, int]]:
        """Each share-like figure as (count, total), the form its interval is computed from."""
        return {
            "hit@1": (round(self.hit_at_1 * self.in_scope), self.in_scope),
            "hit@3": (round(self.hit_at_3 * self.in_scope), self.in_scope),
            "best_sentence": (self.best_sentence_hits, self.best_sentence_asked),
            "out_of_scope_caught": (self.out_of_scope_flagged, self.out_of_scope),
            "in_scope_flagged": (self.in_scope_flagged, self.in_scope),
        }

    def intervals(self) -> dict[str, tuple[float, float]]:
        """95% Wilson intervals of the share-like figures (see metrics.share_interval)."""
        return {name: share_interval(count, total) for name, (count, total) in self.counts().items()}

    def to_dict(self) -> dict:
        return {
            "in_scope": self.in_scope,
            "hit@1": round(self.hit_at_1, 4),
            "hit@3": round(self.hit_at_3, 4),
            "mrr@5": round(self.mrr_at_5, 4),
            "out_of_scope": self.out_of_scope,
            "out_of_scope_flagged": self.out_of_scope_flagged,
            "in_scope_flagged": self.in_scope_flagged,
            "best_sentence": f"{self.best_sentence_hits}/{self.best_sentence_asked}",
            "out_of_scope_labelled_sure": self.out_of_scope_labelled_sure,
            "in_scope_labelled_sure": self.in_scope_labelled_sure,
            "intervals_95": {name: [round(low, 4), round(high, 4)] for name, (low, high) in self.intervals().items()},
            "seconds": round(self.seconds, 3),
            "misses": [m.to_dict() for m in self.misses],
            "questions": {
                qid: {"rank": self.ranks.get(qid), "flagged": flagged, "out_of_scope": qid not in self.ranks}
                for qid, flagged in self.flagged.items()
            },
        }


def first_hit(response: SearchResponse, expect: Sequence[Sequence[str]], depth: int = GOLDEN_DEPTH) -> int | None:
    """The 1-based position of the first passage (within `depth`) holding an expected answer."""
    for position, result in enumerate(response.results[:depth], 1):
        if passage_matches(result.passage.text, expect):
            return position
    return None


def evaluate_golden(search_fn: SearchFn, questions: Sequence[GoldenQuestion]) -> GoldenReport:
    """Ask every question and score the answers: hit@1, hit@3 and MRR@5 over in-scope questions, and how
    the `no_good_match` flag fell on out-of-scope and in-scope questions."""
    started = time.perf_counter()
    ranks: dict[str, int | None] = {}
    flagged: dict[str, bool] = {}
    misses = []
    sentence_hits = 0
    sure = {True: 0, False: 0}  # by out_of_scope: first passage labelled strong or good
    for q in questions:
        response = search_fn(q.question)
        flagged[q.id] = response.no_good_match
        sure[q.out_of_scope] += top_label(response) in CONFIDENT_LABELS
        if q.out_of_scope:
            continue
        rank = first_hit(response, q.expect)
        ranks[q.id] = rank
        sentence_hits += rank == 1 and best_sentence_answers(response.results[0], q.expect)
        if rank != 1:
            winner = response.results[0].passage if response.results else None
            misses.append(GoldenMiss(q.id, q.question, q.expect, rank, winner))
    in_scope = len(ranks)
    out_ids = [q.id for q in questions if q.out_of_scope]
    return GoldenReport(
        in_scope=in_scope,
        hit_at_1=_share(sum(r == 1 for r in ranks.values()), in_scope),
        hit_at_3=_share(sum(r is not None and r <= 3 for r in ranks.values()), in_scope),
        mrr_at_5=_share(math.fsum(1.0 / r for r in ranks.values() if r is not None), in_scope),
        out_of_scope=len(out_ids),
        out_of_scope_flagged=sum(flagged[i] for i in out_ids),
        in_scope_flagged=sum(flagged[i] for i in ranks),
        misses=tuple(misses),
        ranks=ranks,
        flagged=flagged,
        seconds=time.perf_counter() - started,
        best_sentence_hits=sentence_hits,
        best_sentence_asked=sum(r == 1 for r in ranks.values()),
        out_of_scope_labelled_sure=sure[True],
        in_scope_labelled_sure=sure[False],
    )


def best_sentence_answers(result, expect: Sequence[Sequence[str]]) -> bool:
    """True when the result's best sentence holds at least one expected phrase."""
    if not result.best_sentence:
        return False
    start, end = result.best_sentence
    sentence = fold(result.passage.text[start:end])
    return any(fold(phrase) in sentence for alternative in expect for phrase in alternative)


def _share(count: float, total: int) -> float:
    return count / total if total else 0.0
