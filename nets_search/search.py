"""Hybrid retrieval: fusion of dense (FAISS) and lexical (BM25) rankings, and the Searcher that holds a loaded
index version. The page, the CLI and the evaluation all call `Searcher.search`."""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from . import encode, store
from .confidence import Calibration, Evidence, best_sentence
from .errors import NetsSearchError, QueryError
from .lexical import LexicalIndex, analyse
from .query import Glossary, QueryNormaliser
from .text import normalise_unicode
from .types import Manifest, Passage, Result, SearchResponse
from .vectors import load_vector_index, search_vectors, tune_for_single_queries

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "lexical")
MAX_QUESTION_CHARS = 1000
CANDIDATES = 100
BEST_SENTENCE_DEPTH = 10  # results past this rank are not read by people; they carry no best sentence


@dataclass(frozen=True)
class FusionSettings:
    """How the two rankings combine.

    "rrf": weighted reciprocal-rank fusion, sum of weight / (k + rank).
    "convex": dense_weight * cosine + lexical_weight * (BM25 / best BM25 of the question); both parts lie in
    [0, 1], so the weights mean what they say whatever the question's length.
    """

    method: str = "convex"
    rrf_k: int = 60
    dense_weight: float = 0.7
    lexical_weight: float = 0.3


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


def _scaled_to_best(items: list[tuple[int, float]]) -> list[tuple[int, float]]:
    best = items[0][1] if items else 0.0
    return [(item, score / best) for item, score in items] if best > 0 else []


def prepare_question(question: str) -> tuple[str, bool]:
    """The text that is searched: Unicode-normalised, control characters dropped, cut to a sensible prefix."""
    text = " ".join(normalise_unicode(question or "").split())
    if not text:
        raise QueryError("the question is empty; type a few words about what you want to know")
    if len(text) <= MAX_QUESTION_CHARS:
        return text, False
    cut = text[:MAX_QUESTION_CHARS]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut), True


class Searcher:
    """A loaded index version plus the encoder. Safe to share between threads for searching."""

    def __init__(
        self,
        index_dir: Path,
        encoder: "encode.Encoder | None" = None,
        fusion: FusionSettings = FusionSettings(),
    ) -> None:
        self.index_dir = Path(index_dir)
        tune_for_single_queries()
        manifest, folder = self._load_version()
        self._encoder = encoder or encode.Encoder(manifest.backend, cache_dir=self.index_dir / "cache")
        if encode.base_backend(self._encoder.backend) != encode.base_backend(manifest.backend):
            log.warning("the index was embedded with %s but questions are encoded with %s; rebuild for the best "
                        "results: nets-search build --backend %s", manifest.backend, self._encoder.backend,
                        self._encoder.backend)
        self._finish_loading()
        self.fusion = fusion
        self.calibration = Calibration.load()

    def _load_version(self) -> tuple[Manifest, Path]:
        """Load the version in use. If builds switch in newer versions (and prune this one) while it loads,
        try the newer one: a reader never fails just because editors were rebuilding."""
        attempts = 0
        while True:
            version = store.current_version(self.index_dir)
            try:
                return self._read_files()
            except (NetsSearchError, sqlite3.Error, RuntimeError, OSError) as exc:
                attempts += 1
                if store.current_version(self.index_dir) != version and attempts < 3:
                    continue
                if isinstance(exc, NetsSearchError):
                    raise
                raise store.IndexCorruptError(
                    f"{self.index_dir}: the index could not be read ({exc}); {store.REBUILD_HINT}"
                ) from None

    def _read_files(self) -> tuple[Manifest, Path]:
        manifest, folder = store.open_current(self.index_dir, expect_model=f"{encode.MODEL_NAME}@{encode.model_hash()}")
        self.manifest: Manifest = manifest
        self.version = manifest.version
        self.passages: list[Passage] = store.read_passages(folder / store.PASSAGES_DB)
        self._vectors = load_vector_index(folder / store.VECTORS_FILE)
        self._lexical = LexicalIndex.load(folder / store.LEXICAL_DIR, len(self.passages))
        if self._vectors.ntotal != len(self.passages):
            raise store.IndexCorruptError(
                f"{folder}: {self._vectors.ntotal} vectors for {len(self.passages)} passages; {store.REBUILD_HINT}"
            )
        self._glossary = _load_glossary(folder)
        return manifest, folder

    def _finish_loading(self) -> None:
        """Derived lookups: passage rows, IDF, and the words typos are repaired against."""
        self._row_of = {p.passage_id: row for row, p in enumerate(self.passages)}
        self._section_rows: dict[tuple[str, int], list[int]] = {}
        for row in sorted(range(len(self.passages)), key=lambda r: self.passages[r].position):
            p = self.passages[row]
            self._section_rows.setdefault((p.doc_id, p.section_index), []).append(row)
        self._idf = self._lexical.idf()
        self._unknown_idf = max(self._idf.values(), default=1.0)
        self._normaliser = QueryNormaliser([p.text for p in self.passages], self._glossary, encode.known_words())


    def is_stale(self) -> bool:
        """True when a newer version has been switched in on disk (a cheap check: one small file)."""
        return store.current_version(self.index_dir) != self.version

    def search(self, question: str, k: int = 5, mode: str = "hybrid") -> SearchResponse:
        if mode not in MODES:
            raise QueryError(f"unknown search mode '{mode}' (choose from {', '.join(MODES)})")
        text, truncated = prepare_question(question)
        k = max(1, min(int(k), 100))
        query = self._normaliser.normalise(text)
        terms = analyse(query.text)
        dense = self._dense(query.text)
        lexical = self._lexical.search(terms, CANDIDATES)
        fused = self._fuse(dense, lexical, mode)
        evidence = self._evidence(terms, dense, lexical)
        dense_rank = {row: rank for rank, (row, _) in enumerate(dense, 1)}
        lexical_rank = {row: rank for rank, (row, _) in enumerate(lexical, 1)}
        term_set = set(terms)
        results = tuple(
            Result(
                rank=rank,
                score=score,
                passage=self.passages[row],
                dense_rank=dense_rank.get(row),
                lexical_rank=lexical_rank.get(row),
                best_sentence=(
                    best_sentence(self.passages[row].text, term_set, self._idf, analyse)
                    if rank <= BEST_SENTENCE_DEPTH
                    else None
                ),
            )
            for rank, (row, score) in enumerate(fused[:k], 1)
        )
        return SearchResponse(
            query=question,
            results=results,
            no_good_match=self.calibration.no_good_match(evidence),
            searched_text=query.text,
            truncated=truncated,
            corrections=query.corrections,
            evidence=evidence,
        )

    def _evidence(self, terms: list[str], dense, lexical) -> Evidence:
        weights = {t: self._idf.get(t, self._unknown_idf) for t in set(terms)}
        total = sum(weights.values())
        covered = sum(w for t, w in weights.items() if t in self._idf)
        return Evidence(
            top_similarity=dense[0][1] if dense else 0.0,
            term_coverage=covered / total if total else 0.0,
        )

    def neighbours(self, passage_id: str) -> list[Passage]:
        """The passages of the same page section, in reading order (the passage itself included)."""
        row = self._row_of.get(passage_id)
        if row is None:
            return []
        target = self.passages[row]
        return [self.passages[r] for r in self._section_rows[(target.doc_id, target.section_index)]]

    def _dense(self, text: str) -> list[tuple[int, float]]:
        vector = self._encoder.encode_queries([text])[0]
        return search_vectors(self._vectors, vector, CANDIDATES)

    def _fuse(self, dense, lexical, mode: str) -> list[tuple[int, float]]:
        if mode == "dense":
            return dense
        if mode == "lexical":
            return lexical
        weights = {"dense": self.fusion.dense_weight, "lexical": self.fusion.lexical_weight}
        if self.fusion.method == "convex":
            return convex_fusion({"dense": dense, "lexical": _scaled_to_best(lexical)}, weights)
        rankings = {"dense": [r for r, _ in dense], "lexical": [r for r, _ in lexical]}
        return reciprocal_rank_fusion(rankings, weights, self.fusion.rrf_k)


def _load_glossary(folder: Path) -> Glossary:
    path = folder / store.GLOSSARY_FILE
    if not path.is_file():
        return Glossary()
    return Glossary.from_dict(json.loads(path.read_text(encoding="utf-8")))
