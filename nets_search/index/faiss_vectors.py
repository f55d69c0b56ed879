"""FAISS behind the `VectorIndex` protocol (vectors.py), the default engine: the version folder holds the index as
FAISS serialises it.

Exact inner-product search (`IndexFlatIP`) for a corpus of fewer than `HNSW_THRESHOLD` passages; from there an HNSW
graph, which only proposes a question's candidates: the searcher scores them (and BM25's) exactly, so rankings do
not rest on the graph's approximate scores (see README, "Scale"). Nothing outside this module touches FAISS.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

# Passages from which the passage vectors are an HNSW graph. Measured on MedQuAD's vectors, 200 questions, one
# thread, 50 candidates: the half-precision flat scan 0.12 / 0.21 / 0.45 / 0.86 ms at 5k / 10k / 20k / 31k passages,
# the graph 0.09 / 0.14 / 0.27 / 0.32 ms (built in 0.3-2.4 s). Below 20k the saving is under 0.2 ms: exact stays.
HNSW_THRESHOLD = 20_000
HNSW_M = 32
# >= the candidates the searcher asks for (search.CANDIDATES, 50). MedQuAD (31k passages) with candidates from the
# graph: tune nDCG@10 0.7755 at efSearch 64, 128 and from the exact scan alike (the candidates are scored exactly
# and BM25 adds its own); everything after encoding 1.90 -> 1.11 ms p50. 128 leaves room for larger corpora.
HNSW_EF_SEARCH = 128
INDEX_TYPES = frozenset({"flat", "hnsw"})


def index_type_for(count: int) -> str:
    """How `count` passage vectors are stored: exact below HNSW_THRESHOLD, an HNSW graph from there."""
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


def write(matrix: np.ndarray, path: Path, index_type: str | None = None) -> None:
    """`matrix` stored at `path`, as `index_type` says or (None) as `index_type_for` chooses for its rows."""
    FaissVectors.build(matrix, index_type).save(path)


def open_index(path: Path) -> FaissVectors:
    return FaissVectors.open(path)


def single_thread() -> None:
    """FAISS's OpenMP threads down to one (vectors.tune_for_single_queries says why)."""
    faiss.omp_set_num_threads(1)
