"""How the retrievers' rankings combine into one: the settings (chosen on the tune parts of the labelled sets) and
the two fusion methods."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FusionSettings:
    """How the rankings combine (chosen on the tune parts of the labelled sets: see docs/quality.md).

    dense score = (1 - sentence_weight) * passage cosine + sentence_weight * best sentence cosine
    "convex": dense_weight * dense score + lexical_weight * (BM25 / best BM25 of the question); both parts lie in
    [0, 1], so the weights mean what they say whatever the question's length.
    "rrf": weighted reciprocal-rank fusion, sum of weight / (k + rank).
    Glossary expansions count `expansion_weight` as much as the reader's own words, on both sides.
    """

    method: str = "convex"
    rrf_k: int = 60
    dense_weight: float = 0.85
    lexical_weight: float = 0.15
    sentence_weight: float = 0.5
    expansion_weight: float = 0.3
    sentence_words_weight: float = 0.3  # best sentence: cosine + this * share of the question's words it holds
    quantity_weight: float = 0.1  # ... + this if it gives a number and the question asks "how many/common …"
    widen_to_references: bool = True  # ... shown with the sentence it points back at, or that points back at it

    def __post_init__(self) -> None:
        """Weights are shares of a score: a negative one would turn a signal upside down (and break the best
        sentence's early stop, which counts on its bonuses lying between 0 and their weights)."""
        for name in ("dense_weight", "lexical_weight", "sentence_weight", "expansion_weight", "sentence_words_weight",
                     "quantity_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"fusion setting {name} must be 0 or more, not {getattr(self, name)}")


def reciprocal_rank_fusion(
    rankings: dict[str, list[int]], weights: dict[str, float], k: int = 60
) -> list[tuple[int, float]]:
    """Fuse ranked lists of ids into one list of (id, score), best first; ties broken by id for determinism."""
    scores: dict[int, float] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 1.0)
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def convex_fusion(scored: dict[str, list[tuple[int, float]]], weights: dict[str, float]) -> list[tuple[int, float]]:
    """Weighted sum of already comparable scores; an item a retriever did not return scores 0 there."""
    scores: dict[int, float] = {}
    for name, items in scored.items():
        weight = weights.get(name, 1.0)
        for item, score in items:
            scores[item] = scores.get(item, 0.0) + weight * score
    total = sum(weights.get(name, 1.0) for name in scored) or 1.0
    return sorted(((item, s / total) for item, s in scores.items()), key=lambda pair: (-pair[1], pair[0]))


def scaled_to_best(items: list[tuple[int, float]]) -> list[tuple[int, float]]:
    best = items[0][1] if items else 0.0
    return [(item, score / best) for item, score in items] if best > 0 else []
