"""Near-identical passages from sibling pages, folded into one card.

Publishers copy their own boilerplate from page to page: the National Cancer Institute's "three ways that cancer
spreads" is word for word on five of the example library's pages, GARD's "Human Phenotype Ontology" paragraph on
eight. Shown as they rank, the same text fills the list five times and pushes the distinct answers out of it; folded,
it is one card that says which other pages hold it ("also on: …").

Two passages are folded only when the words of one are the words of the other: their texts are near-identical as
token sets (rapidfuzz, at least SIMILAR), and word for word the same once the words naming the two pages are set aside
("Merkel cell carcinoma may spread…" and "Small intestine cancer may spread…"). Any other word that differs — a
symptom in a list, "dominant" against "recessive", a sentence one of them adds — keeps them apart: folding must never
hide content a reader would not see on the card.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

from rapidfuzz import fuzz

from nets_search.types import Passage

SIMILAR = 90  # token-set similarity (0-100) from which two passages are candidates for folding
LOOKAHEAD = 10  # candidates read past the k-th card, only to find more pages a card's text is also on

_WORD = re.compile(r"[a-z0-9]+")

T = TypeVar("T")


@dataclass(frozen=True)
class Folded(Generic[T]):
    """One card: the candidate shown, and the lower-ranked candidates from other pages folded into it."""

    shown: T
    also: tuple[T, ...] = ()


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@lru_cache(maxsize=1024)  # a search reads ~15 passages; each set is ~10 kB, so at most ~10 MB kept
def _word_set(text: str) -> frozenset[str]:
    return frozenset(_words(text))


@lru_cache(maxsize=1024)
def _name_words(title: str) -> frozenset[str]:
    """The words naming a page, singular and plural ("tumors" names "tumor" too)."""
    words = set(_words(title))
    return frozenset(words | {w[:-1] for w in words if w.endswith("s") and len(w) > 3} | {w + "s" for w in words})


def near_identical(a: Passage, b: Passage) -> bool:
    """True when `a` and `b` say the same thing: near-identical token sets, and the same words in the same order
    apart from the words naming their pages.

    Most pairs a search compares differ in many words, so a word one passage has and the other lacks, other than a
    page's name, rejects the pair first (the word-for-word test below would reject it too); the similarity of the
    whole texts, the costly part, is computed only for the few pairs left (a search compares ~60 pairs)."""
    names = _name_words(a.title) | _name_words(b.title)
    if not _only_names_differ(_word_set(a.text), _word_set(b.text), names):
        return False
    if fuzz.token_set_ratio(a.text, b.text) < SIMILAR:
        return False
    return [w for w in _words(a.text) if w not in names] == [w for w in _words(b.text) if w not in names]


def _only_names_differ(a: frozenset[str], b: frozenset[str], names: frozenset[str]) -> bool:
    """Every word that only one of `a` and `b` has names a page. Read word by word, so two passages that say
    different things are told apart at their first few words."""
    return all(w in b or w in names for w in a) and all(w in a or w in names for w in b)


def fold(ranked: Sequence[T], k: int, passage_of: Callable[[T], Passage],
         same: Callable[[Passage, Passage], bool] = near_identical) -> list[Folded[T]]:
    """The first `k` distinct cards of `ranked` (best first). A candidate whose passage is on another page than a
    card above it and `same` as that card's passage is folded into the card instead of taking a place of its own;
    a candidate is never folded into a card of its own page. Reads candidates until `k` cards are found, then
    LOOKAHEAD more, which may only join a card."""
    cards: list[Folded[T]] = []
    read_past_k = 0
    for candidate in ranked:
        if len(cards) >= k:
            if read_past_k >= LOOKAHEAD:
                break
            read_past_k += 1
        passage = passage_of(candidate)
        at = next((i for i, card in enumerate(cards)
                   if passage_of(card.shown).doc_id != passage.doc_id and same(passage_of(card.shown), passage)), None)
        if at is not None:
            cards[at] = Folded(cards[at].shown, (*cards[at].also, candidate))
        elif len(cards) < k:
            cards.append(Folded(candidate))
    return cards
