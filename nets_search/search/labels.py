"""The strength label a reader sees on each passage ("Strong match", "Good match", "Related", "Weak match"): from
how the retrievers agree, capped by how sure the engine is that our pages cover the question at all, and by the
label of the passage above it (`label_results`), so that a list never reads stronger further down."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from nets_search.types import LABELS, Result, SearchResponse

CONFIDENT_LABELS = ("strong", "good")


@dataclass(frozen=True)
class Strength:
    label: str
    css: str  # class suffix: strong, good, related, weak (the label a Result carries)


STRENGTHS = {s.css: s for s in (Strength("Strong match", "strong"), Strength("Good match", "good"),
                                Strength("Related", "related"), Strength("Weak match", "weak"))}


def named(label: str) -> Strength:
    """The plain words of a result's `label` ("good" -> "Good match")."""
    return STRENGTHS[label]


def label_results(results: tuple[Result, ...], no_good_match: bool, tentative: bool) -> tuple[Result, ...]:
    """`results` in their order, each with its label: its own strength (`strength_of`), but never stronger than
    the label of the result above it.

    A passage's own strength reads how the retrievers rank *it*, and a lower passage can be ranked higher by both
    retrievers than the fused first one ("Good match" first, "Strong match" under "More passages"). A reader takes
    the list's order as the engine's judgement, so a label that rises down the list contradicts it: the weaker of
    the two is kept. The first result's label is its own strength, so the same passage in first place for two
    phrasings carries the same label whenever its evidence (its retriever ranks, the no-good-match and tentative
    decisions) is the same."""
    labelled, ceiling = [], 0
    for result in results:
        ceiling = max(ceiling, LABELS.index(strength_of(result, no_good_match, tentative).css))
        labelled.append(dataclasses.replace(result, label=LABELS[ceiling]))
    return tuple(labelled)


def strength_of(result: Result, no_good_match: bool, tentative: bool = False) -> Strength:
    """A plain-words label from how the retrievers agree, not from the raw score.

    The fused score is a weighted sum of cosine and scaled BM25: it says nothing absolute and is meaningless to a
    reader. What is meaningful is agreement: a passage that every registered retriever (meaning and words today)
    puts at the very top is a strong match; one they all have in their top ten is a good match; anything else is
    only related. When the engine says no passage answers well, every passage is a weak match; when it answers
    but is not sure our pages cover the question (`tentative`), no passage is more than related: agreement between
    retrievers says a passage is the best we have, not that the question is one our pages answer.
    """
    if no_good_match:
        return Strength("Weak match", "weak")
    ranks = list(result.ranks.values())
    if not tentative and ranks and all(r is not None for r in ranks):
        if max(ranks) <= 2:
            return Strength("Strong match", "strong")
        if max(ranks) <= 10:
            return Strength("Good match", "good")
    return Strength("Related", "related")


def top_label(response: SearchResponse) -> str | None:
    """The css name of the first passage's label, or None when there is no passage."""
    if not response.results:
        return None
    return strength_of(response.results[0], response.no_good_match, response.tentative).css
