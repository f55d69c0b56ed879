"""Retrieval metrics over plain dicts, and the fixed tune/test split of every labelled set.

Metrics take the BEIR shapes and never modify them:

    results = {query_id: {doc_id: score}}      what a retriever returned
    qrels   = {query_id: {doc_id: relevance}}  graded judgements; relevance <= 0 means not relevant
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

Results = Mapping[str, Mapping[str, float]]
Qrels = Mapping[str, Mapping[str, int]]


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class MetricScore:
    """One metric over a query set: the mean over judged queries, each query's value, and what was skipped."""

    mean: float
    per_query: Mapping[str, float]
    skipped: tuple[str, ...] = ()  # queries with no relevant document in the qrels: no score is possible

    @property
    def evaluated(self) -> int:
        return len(self.per_query)


def ranked_doc_ids(scores: Mapping[str, float], k: int) -> list[str]:
    """The `k` best documents, best first; equal scores are ordered by doc_id so runs are reproducible."""
    return [doc for doc, _ in sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:k]]


def _per_query(results: Results, qrels: Qrels, k: int, score_one: Callable[[list[str], Mapping[str, int]], float]) -> MetricScore:
    """Apply `score_one(top_k_doc_ids, judgements)` to each judged query and average.

    A query judged in `qrels` but absent from `results` scores 0: the retriever found nothing.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    values: dict[str, float] = {}
    skipped = []
    for query_id in sorted(set(qrels) | set(results)):
        judged = qrels.get(query_id, {})
        if not any(rel > 0 for rel in judged.values()):
            skipped.append(query_id)
            continue
        values[query_id] = score_one(ranked_doc_ids(results.get(query_id, {}), k), judged)
    mean = math.fsum(values.values()) / len(values) if values else 0.0
    return MetricScore(mean, values, tuple(skipped))


def _dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain: the gain at rank r is divided by log2(r + 1)."""
    return math.fsum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, 1))


def ndcg_at_k(results: Results, qrels: Qrels, k: int) -> MetricScore:
    """nDCG@k with graded gains. The gain of a document is its relevance grade itself (as trec_eval and
    pytrec_eval, which BEIR uses, compute it); the ideal ranking is the qrels' own grades, best first."""

    def one(top: list[str], judged: Mapping[str, int]) -> float:
        gains = [max(judged.get(doc, 0), 0) for doc in top]
        ideal = sorted((rel for rel in judged.values() if rel > 0), reverse=True)[:k]
        return _dcg(gains) / _dcg(ideal)

    return _per_query(results, qrels, k, one)


def mrr_at_k(results: Results, qrels: Qrels, k: int) -> MetricScore:
    """Mean reciprocal rank: 1 / rank of the first relevant document in the top k, 0 if there is none."""

    def one(top: list[str], judged: Mapping[str, int]) -> float:
        return next((1.0 / rank for rank, doc in enumerate(top, 1) if judged.get(doc, 0) > 0), 0.0)

    return _per_query(results, qrels, k, one)


def recall_at_k(results: Results, qrels: Qrels, k: int) -> MetricScore:
    """The share of a query's relevant documents found in its top k."""

    def one(top: list[str], judged: Mapping[str, int]) -> float:
        relevant = {doc for doc, rel in judged.items() if rel > 0}
        return len(relevant.intersection(top)) / len(relevant)

    return _per_query(results, qrels, k, one)


METRICS: dict[str, Callable[[Results, Qrels, int], MetricScore]] = {
    "ndcg": ndcg_at_k,
    "mrr": mrr_at_k,
    "recall": recall_at_k,
}


def share_interval(count: int, total: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a share `count`/`total` (SciPy's): how far a figure on a few dozen questions can
    be trusted. After 56 right of 70, the rate on questions like these is plausibly (95%) between about 0.69 and
    0.88. It treats the questions as independent (several wordings of one need make it look tighter than it is),
    and two modes asked the same questions are compared question by question, not by overlapping intervals.
    Nothing measured (total 0): (0, 1)."""
    if total <= 0:
        return (0.0, 1.0)
    if not 0 <= count <= total:
        raise ValueError(f"count {count} is not between 0 and the total {total}")
    from scipy.stats import binomtest

    interval = binomtest(count, total).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(interval.low), float(interval.high))


# --------------------------------------------------------------------------- tune / test split

SPLIT_SEED = "nets-search-2026"  # changing it re-deals every labelled set: never do it to improve a figure
PARTS = ("tune", "test")


def part_of(question_id: str, seed: str = SPLIT_SEED) -> str:
    """'tune' or 'test' for a question id, fixed by the seed: about half each, the same on every machine and
    whatever else is in the file. Every choice is made on 'tune'; figures are reported on 'test'."""
    digest = hashlib.sha256(f"{seed}:{question_id}".encode("utf-8")).digest()
    return "tune" if digest[0] < 128 else "test"


def split_parts(items: Mapping[str, object] | Sequence, key: Callable = lambda item: item) -> dict[str, list]:
    """Items (question ids, or objects with `key` giving the id) dealt into {'tune': [...], 'test': [...]}."""
    parts: dict[str, list] = {part: [] for part in PARTS}
    for item in items:
        parts[part_of(str(key(item)))].append(item)
    return parts
