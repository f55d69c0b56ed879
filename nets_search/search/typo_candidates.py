"""The corpus words a typed word could be a typo of, found without comparing it to every one of them.

Typo repair asks rapidfuzz for the corpus word most like the typed one (`fuzz.ratio`, the normalised Indel
similarity: 100 × (1 − d / (len(a) + len(b))), d the insertions and deletions turning one into the other). A corpus
of a few thousand pages has tens of thousands of words, and comparing against all of them was the largest Python cost
of a question. Each insertion or deletion changes one letter count by one, so the distance between two words' letter
counts is a lower bound on d: a word whose counts are already too far from the typed word's cannot reach the
cutoff, and numpy rules it out for all words at once. The words left keep their order, so rapidfuzz's answer among
them — ties going to the most frequent word — is exactly its answer over all of them.
"""

from __future__ import annotations

import numpy as np

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_OTHER = len(_LETTERS)  # every other character counts in one shared slot: still a lower bound
_SLACK = 0.5  # keeps words at the bound's edge, whatever the rounding of rapidfuzz's score


def letter_counts(word: str) -> np.ndarray:
    counts = np.zeros(_OTHER + 1, dtype=np.int32)
    for char in word:
        slot = ord(char) - ord("a")
        counts[slot if 0 <= slot < _OTHER else _OTHER] += 1
    return counts


class TypoCandidates:
    """The words a typo could be repaired to (most frequent first), with their letter counts."""

    def __init__(self, choices: list[str]) -> None:
        self._choices = choices
        counts = np.array([letter_counts(w) for w in choices], dtype=np.int32).reshape(len(choices), _OTHER + 1)
        self._by_letter = np.ascontiguousarray(counts.T)  # one row per letter: a column scan per letter typed
        self._lengths = counts.sum(axis=1)

    def near(self, word: str, cutoff: float) -> list[str]:
        """The choices, in their order, that `fuzz.ratio` could score at `cutoff` or more against `word`.

        The letter-count distance is len(a) + len(b) − 2 × the letters they share, and the letters shared are
        summed over the typed word's few distinct letters only."""
        if not self._choices:
            return []
        typed = letter_counts(word)
        shared = np.zeros(len(self._choices), dtype=np.int32)
        for slot in np.flatnonzero(typed):
            shared += np.minimum(self._by_letter[slot], typed[slot])
        lower_bound = self._lengths + len(word) - 2 * shared
        allowed = (1 - cutoff / 100) * (self._lengths + len(word)) + _SLACK
        return [self._choices[i] for i in np.flatnonzero(lower_bound <= allowed)]
