"""Lexical search: BM25 (bm25s) over stemmed, spelling-folded words."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from .text import fold_spelling, normalise_unicode, words

BM25_SETTINGS = {"method": "lucene", "k1": 1.2, "b": 0.75, "stemmer": "english", "stopwords": "en"}

_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def _term(word: str) -> str:
    return _stemmer().stemWord(fold_spelling(word))


def analyse(text: str) -> list[str]:
    """Text to index terms: lower-cased words, stop words dropped, UK/US spelling folded, Snowball-stemmed."""
    lowered = normalise_unicode(text).lower().replace("'", "")
    return [_term(w) for w in words(lowered) if w not in _STOPWORDS]


class LexicalIndex:
    """A BM25 index whose document numbers are the passage rows of the index version."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._bm25 = retriever
        self.size = size
        self.vocabulary = frozenset(retriever.vocab_dict) if retriever.vocab_dict else frozenset()

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        params = {k: BM25_SETTINGS[k] for k in ("method", "k1", "b")}
        retriever = bm25s.BM25(**params)
        retriever.index([analyse(t) or ["_"] for t in texts], show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "LexicalIndex":
        return cls(bm25s.BM25.load(str(folder), allow_pickle=False, mmap=False), size)

    def search(self, terms: list[str], k: int) -> list[tuple[int, float]]:
        """(row, score) best first; rows with no matching term are left out."""
        terms = [t for t in terms if t in self.vocabulary]
        if not terms or self.size == 0:
            return []
        docs, scores = self._bm25.retrieve([terms], k=min(k, self.size), show_progress=False, n_threads=1)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0 and np.isfinite(s)]
