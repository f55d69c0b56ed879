"""The dense vector index: the `VectorIndex` protocol the engine uses, its FAISS implementation, and the choice of
engine. Nothing outside this module touches FAISS; Qdrant (qdrant_vectors.py) is another class with the same five
methods, chosen by a build (NETS_SEARCH_VECTORS) and recorded in the version's manifest, which is what a searcher
opens it with.

Exact inner-product search (`IndexFlatIP`) for a corpus of fewer than `HNSW_THRESHOLD` passages; from there an HNSW
graph, which only proposes a question's candidates: the searcher scores them (and BM25's) exactly, so rankings do
not rest on the graph's approximate scores (see README, "Scale").
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

from nets_search.index import qdrant_vectors
from nets_search.errors import NetsSearchError
from nets_search.settings import EngineSettings, engine_settings

# Passages from which the passage vectors are an HNSW graph. Measured on MedQuAD's vectors, 200 questions, one
# thread, 50 candidates: the half-precision flat scan 0.12 / 0.21 / 0.45 / 0.86 ms at 5k / 10k / 20k / 31k passages,
# the graph 0.09 / 0.14 / 0.27 / 0.32 ms (built in 0.3-2.4 s). Below 20k the saving is under 0.2 ms: exact stays.
HNSW_THRESHOLD = 20_000
HNSW_M = 32
# >= the candidates the searcher asks for (search.CANDIDATES, 50). MedQuAD (31k passages) with candidates from the
# graph: tune nDCG@10 0.7755 at efSearch 64, 128 and from the exact scan alike (the candidates are scored exactly
# and BM25 adds its own); everything after encoding 1.90 -> 1.11 ms p50. 128 leaves room for larger corpora.
HNSW_EF_SEARCH = 128

DEFAULT_ENGINE = "faiss"
ENGINES = (DEFAULT_ENGINE, qdrant_vectors.LOCAL, qdrant_vectors.SERVER)


class VectorIndex(Protocol):
    """Normalised vectors, row i being passage (or sentence) i of the version: what the build writes and the
    searcher reads."""

    def count(self) -> int: ...

    def vectors(self) -> np.ndarray:
        """Every stored vector as one (n, dimensions) float32 matrix, for exact scoring of a few candidates."""

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(row, inner product) best first for one normalised query vector."""

    def save(self, path: Path) -> None: ...

    def for_candidates(self) -> "VectorIndex":
        """The index to ask for a question's candidates (which the searcher then scores exactly)."""


def index_type_for(count: int) -> str:
    return "hnsw" if count >= HNSW_THRESHOLD else "flat"


class FaissVectors:
    """A FAISS index behind the VectorIndex protocol."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray, index_type: str | None = None) -> "FaissVectors":
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        if (index_type or index_type_for(len(vectors))) == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
        return cls(index)

    @classmethod
    def open(cls, path: Path) -> "FaissVectors":
        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index)

    def save(self, path: Path) -> None:
        """Serialised by faiss, written by Python: a failed write (a full disk) keeps its OSError and errno, which
        faiss's own writer would turn into a bare RuntimeError."""
        Path(path).write_bytes(faiss.serialize_index(self._index).tobytes())

    def count(self) -> int:
        return int(self._index.ntotal)

    def vectors(self) -> np.ndarray:
        if self._index.ntotal == 0:
            return np.zeros((0, self._index.d), dtype=np.float32)
        return np.ascontiguousarray(self._index.reconstruct_n(0, self._index.ntotal), dtype=np.float32)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self._index.ntotal == 0:
            return []
        scores, rows = self._index.search(query.reshape(1, -1).astype(np.float32), min(k, self._index.ntotal))
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def for_candidates(self) -> "FaissVectors":
        """An exact (flat) index is replaced in memory by a half-precision copy of the same vectors: half the memory
        to scan. Measured on MedQuAD's 31k passages, one thread, 300 questions: 0.91 ms p50 against 1.80 ms exact
        and 1.38 ms for an 8-bit copy (the 8-bit codes cost more to decode than they save), every exact top-10
        inside its top 50 (search.CANDIDATES); the searcher scores its candidates exactly afterwards, so rankings do
        not change.
        HNSW indexes are kept as they are."""
        if not isinstance(self._index, faiss.IndexFlat) or self._index.ntotal == 0:
            return self
        vectors = self.vectors()
        quantised = faiss.IndexScalarQuantizer(vectors.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        quantised.train(vectors)
        quantised.add(vectors)
        return FaissVectors(quantised)


def engine_for_build(settings: EngineSettings | None = None, in_use: str = "") -> str:
    """NETS_SEARCH_VECTORS: faiss, qdrant-local, qdrant-server, or qdrant (the server when NETS_SEARCH_QDRANT_URL
    is set, else local mode). Unset: the engine of the version in use (`in_use`), so a rebuild from the editor
    panel, whose process may not have the setting, never moves an index to another engine; FAISS for a new index."""
    settings = settings or engine_settings()
    name = settings.vector_engine or in_use or DEFAULT_ENGINE
    if name == "qdrant":
        name = qdrant_vectors.SERVER if settings.qdrant_url else qdrant_vectors.LOCAL
    if name not in ENGINES:
        raise NetsSearchError(f"NETS_SEARCH_VECTORS={name!r} is not a vector engine; choose {', '.join(ENGINES)} or qdrant")
    if name == qdrant_vectors.SERVER and not settings.qdrant_url:
        raise NetsSearchError("NETS_SEARCH_VECTORS=qdrant-server needs NETS_SEARCH_QDRANT_URL (the server's address)"
                              if settings.vector_engine else
                              "the index in use keeps its vectors on a Qdrant server: set NETS_SEARCH_QDRANT_URL")
    return name


def engine_of(recorded: str) -> str:
    """The engine a manifest records ("" in versions built before engines were named: FAISS)."""
    return recorded or DEFAULT_ENGINE


def index_type_of(engine: str, count: int) -> str:
    if engine == DEFAULT_ENGINE:
        return index_type_for(count)
    return "qdrant-exact" if engine == qdrant_vectors.LOCAL else "qdrant-hnsw"


def write_vectors(matrix: np.ndarray, path: Path, engine: str, index_type: str | None = None) -> None:
    """Store `matrix` (row i = passage or sentence i) at `path` in the version being built."""
    if engine == DEFAULT_ENGINE:
        FaissVectors.build(matrix, index_type).save(path)
    else:
        qdrant_vectors.save(matrix, path, engine)


def open_vectors(path: Path, engine: str = DEFAULT_ENGINE) -> VectorIndex:
    if engine == DEFAULT_ENGINE:
        return FaissVectors.open(path)
    return qdrant_vectors.open_index(path, engine)


def switched_to(files: list[Path]) -> None:
    """A version switch happened: engines that name the current version outside our folder follow it."""
    if any(qdrant_vectors.is_server_pointer(f) for f in files):
        with qdrant_vectors.server_errors("move the aliases on"):
            qdrant_vectors.point_aliases(files)


def release(files: list[Path], other_versions: list[Path]) -> None:
    """A version is being deleted: free what it holds outside its folder, unless `other_versions`' files still
    name it (a recalibrated version shares its vectors with the version it was copied from)."""
    pointers = [f for f in files if qdrant_vectors.is_server_pointer(f)]
    if pointers:
        with qdrant_vectors.server_errors("delete old collections on"):
            qdrant_vectors.drop(pointers, qdrant_vectors.collections_named(other_versions))


@lru_cache(maxsize=1)
def tune_for_single_queries() -> None:
    """A question's vector products are a few hundred rows by 384 numbers, or one scan of the candidate copy: too
    small to share between threads. FAISS's OpenMP threads and BLAS's (OpenBLAS under numpy) would hand each one
    to a second thread that spins while it waits, taking the core that the encoder's second thread or a
    concurrent search needs (measured on MedQuAD, 2 cores, 200 questions: hybrid p50 8.5 ms with BLAS on two
    threads beside the encoder's solo session, 4.9 ms with one; FAISS: 1.7 ms a scan on one thread, far worse on
    two beside ONNX Runtime). Process-wide, as both libraries' settings are, and once per process (before the
    first searcher answers, not while another thread may be inside BLAS); a page process serves readers
    concurrently from its own threads instead."""
    faiss.omp_set_num_threads(1)
    threadpool_limits(limits=1, user_api="blas")
