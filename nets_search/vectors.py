"""The dense vector index (FAISS). The one module to change to move vectors to another engine.

Exact inner-product search (`IndexFlatIP`) while it is fast enough; HNSW beyond `HNSW_THRESHOLD` vectors,
a size chosen from the benchmark in benchmarks/ (see README, "Scale").
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

HNSW_THRESHOLD = 200_000
HNSW_M = 32
HNSW_EF_SEARCH = 400  # >= the 100 candidates fusion asks for; measured on MedQuAD: nDCG@10 -0.4 pt vs exact (128: -0.8)


def index_type_for(count: int) -> str:
    return "hnsw" if count >= HNSW_THRESHOLD else "flat"


def build_vector_index(vectors: np.ndarray, index_type: str | None = None) -> faiss.Index:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    kind = index_type or index_type_for(len(vectors))
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(vectors)
    return index


def save_vector_index(index: faiss.Index, path: Path) -> None:
    """Serialised by faiss, written by Python: a failed write (a full disk) keeps its OSError and errno, which
    faiss's own writer would turn into a bare RuntimeError."""
    Path(path).write_bytes(faiss.serialize_index(index).tobytes())


def load_vector_index(path: Path) -> faiss.Index:
    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def candidate_index(index: faiss.Index, vectors: np.ndarray) -> faiss.Index:
    """The index a searcher asks for its candidates. An exact (flat) index is replaced in memory by an 8-bit
    scalar-quantised copy of the same vectors: a quarter of the memory to scan, so ~2.5x faster on 31k passages
    (1.0 against 2.5 ms), with every exact top-10 inside its top 100 (measured on MedQuAD questions); the searcher
    scores its candidates exactly afterwards, so rankings do not change. HNSW indexes are kept as they are."""
    if not isinstance(index, faiss.IndexFlat) or len(vectors) == 0:
        return index
    quantised = faiss.IndexScalarQuantizer(vectors.shape[1], faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    quantised.train(vectors)
    quantised.add(vectors)
    return quantised


def vector_count(index: faiss.Index) -> int:
    return int(index.ntotal)


def all_vectors(index: faiss.Index) -> np.ndarray:
    """Every stored vector as one (n, dimensions) matrix, for exact scoring of a few candidates."""
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return np.ascontiguousarray(index.reconstruct_n(0, index.ntotal), dtype=np.float32)


def tune_for_single_queries() -> None:
    """One query at a time is too small to share between OpenMP threads: the hand-over costs more than it saves
    (measured on 2 cores, 31k vectors: 1.7 ms on one thread, and far worse beside ONNX Runtime). A page process
    serves readers concurrently from its own threads instead."""
    faiss.omp_set_num_threads(1)


def search_vectors(index: faiss.Index, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(row, cosine similarity) best first for one normalised query vector."""
    if index.ntotal == 0:
        return []
    scores, rows = index.search(query.reshape(1, -1).astype(np.float32), min(k, index.ntotal))
    return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]
