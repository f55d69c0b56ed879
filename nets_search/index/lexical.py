"""Lexical search: BM25 (bm25s) over stemmed, spelling-folded words."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from nets_search.index import npy_files
from nets_search.text import normalise_unicode, stem, words
from nets_search.types import Passage

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG on import

# Chosen on the tune parts (`python benchmarks/quality.py --bm25-grid`; docs/quality-bm25.json): page title and section
# heading count three times, like a boosted title field, and a gentle length normalisation (with k1 0.9 and headings
# x2 or x3, every b from 0 to 0.3 scored within 0.002 of the best on tune; 0.2 is the middle of that plateau).


@dataclass(frozen=True)
class Bm25Settings:
    """BM25 as the index is built and searched; recorded in each version's manifest (a change rebuilds)."""

    method: str = "lucene"
    k1: float = 0.9
    b: float = 0.2
    heading_repeat: int = 3
    stemmer: str = "english"
    stopwords: str = "lucene+question"


BM25_SETTINGS = Bm25Settings()

# Lucene's English list plus the words that frame a question ("what can I do about...") rather than say what
# it is about: they match everywhere in a patient page and only add noise to BM25 and to best-sentence picking.
_QUESTION_WORDS = """
what whats which who whom whose why how when where does do did doing done can could should would may might must
shall i im ive id me my mine myself you your yours we our ours us he she him her his hers its it's them
am been being have has had having get gets got getting go goes going so than too very just also any some
about from up down out over again more most other own same only both each few all nor here there
tell know please thanks thank hi hello anyone someone something anything really much many lot lots
""".split()
_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN) | frozenset(_QUESTION_WORDS)


def lexical_document(passage: Passage, settings: Bm25Settings = BM25_SETTINGS) -> str:
    """What BM25 indexes for a passage: its headings, weighted by repetition, then its text."""
    headings = f"{passage.title}\n{passage.section}\n" * settings.heading_repeat
    return headings + passage.text


def analyse(text: str) -> list[str]:
    """Text to index terms: lower-cased words, stop words dropped, UK/US spelling folded, Snowball-stemmed."""
    lowered = normalise_unicode(text).lower().replace("'", "")
    return [stem(w) for w in words(lowered) if w not in _STOPWORDS]


def is_stopword(word: str) -> bool:
    return word in _STOPWORDS


class LexicalIndex:
    """A BM25 index whose document numbers are the passage rows of the index version."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._bm25 = retriever
        self.size = size
        self.vocabulary = frozenset(retriever.vocab_dict) if retriever.vocab_dict else frozenset()

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        return cls.from_terms([analyse(t) for t in texts])

    @classmethod
    def from_terms(cls, documents: list[list[str]], settings: Bm25Settings = BM25_SETTINGS) -> "LexicalIndex":
        """From already analysed documents (a build keeps them per passage so unchanged pages are not redone)."""
        params = {"method": settings.method, "k1": settings.k1, "b": settings.b}
        retriever = bm25s.BM25(**params)
        retriever.index([terms or ["_"] for terms in documents], show_progress=False)
        return cls(retriever, len(documents))

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "LexicalIndex":
        with npy_files.READ_LOCK:
            loaded = bm25s.BM25.load(str(folder), allow_pickle=False, mmap=False)
        return cls(loaded, size)

    def idf(self) -> dict[str, float]:
        """Inverse document frequency of every indexed term (from the BM25 matrix's column sizes)."""
        indptr = self._bm25.scores["indptr"]
        n = max(self.size, 1)
        out = {}
        for term, column in (self._bm25.vocab_dict or {}).items():
            if column + 1 < len(indptr):
                df = int(indptr[column + 1] - indptr[column])
                out[term] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return out

    def search(self, terms: list[str], k: int) -> list[tuple[int, float]]:
        """(row, score) best first, ties by row; rows with no matching term are left out.

        Scores every row with bm25s's `get_scores` and takes the top k with numpy: for one question this is
        several times faster than `retrieve`, which starts a thread pool and a progress bar per call."""
        terms = [t for t in terms if t in self.vocabulary]
        if not terms or self.size == 0:
            return []
        scores = np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
        matched = np.flatnonzero((scores > 0) & np.isfinite(scores))  # most rows hold none of the terms
        if len(matched) > k:
            matched = matched[np.argpartition(-scores[matched], k - 1)[:k]]
        top = matched[np.lexsort((matched, -scores[matched]))]
        return list(zip(top.tolist(), scores[top].astype(float).tolist()))
