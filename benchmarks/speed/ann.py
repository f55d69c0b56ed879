"""ann: exact (flat) against approximate (HNSW) vector search, for choosing HNSW_THRESHOLD.

recall@10 of HNSW against exact search and the time of one query (k = the searcher's candidate count), with the
engine's own HNSW settings: on the real passage vectors (MedQuAD index, else the larger build or the seed index)
with real query vectors, then on synthetic normalised vectors of --ann-sizes, with HNSW build time.
"""

from __future__ import annotations

import time

import numpy as np

from nets_search.encode.model import DIMENSIONS
from nets_search.index.faiss_vectors import HNSW_EF_SEARCH, HNSW_M, HNSW_THRESHOLD, FaissVectors
from nets_search.search.retrievers import CANDIDATES

from .files import read_vectors
from .inputs import Inputs
from .timing import percentile_ms, say, summary_ms, time_each

RECALL_AT = 10
NOISE = 0.04  # per dimension, around real vectors: synthetic vectors that cluster as real ones do


def measure(inputs: Inputs) -> dict:
    vectors, label = _real_vectors(inputs)
    queries = inputs.models.encoder().encode_queries(inputs.questions(inputs.plan.ann_queries))
    out = {"real": {"source": label, **compare_ann(vectors, queries)}}
    centres = vectors if len(vectors) >= 1000 else None
    kind = (f"{label} vectors + Gaussian noise (σ={NOISE} per dimension), renormalised" if centres is not None
            else "uniform on the sphere")
    out["synthetic"] = {"kind": kind, "runs": []}
    for size in inputs.plan.ann_sizes:
        say(f"  ann synthetic {size:,}")
        synthetic = synthetic_vectors(size, centres, seed=size)
        out["synthetic"]["runs"].append({"vectors": size, **compare_ann(synthetic, queries)})
        del synthetic
    out["settings"] = {"hnsw_m": HNSW_M, "ef_search": HNSW_EF_SEARCH, "threshold": HNSW_THRESHOLD, "k": CANDIDATES}
    return out


def _real_vectors(inputs: Inputs) -> tuple[np.ndarray, str]:
    if inputs.plan.medquad_index is not None:
        return read_vectors(inputs.plan.medquad_index), "MedQuAD index"
    if inputs.large_index is not None:
        return read_vectors(inputs.large_index), "large build corpus"
    return read_vectors(inputs.seed_index()), "seed index"


def compare_ann(vectors: np.ndarray, queries: np.ndarray) -> dict:
    """Flat against HNSW over the same vectors: build time, one-query time at the searcher's candidate count, and
    recall@10 of HNSW against the exact top 10."""
    started = time.perf_counter()
    flat = FaissVectors.build(vectors, "flat")._index  # the raw FAISS indexes: batch searches for recall
    flat_build = time.perf_counter() - started
    started = time.perf_counter()
    hnsw = FaissVectors.build(vectors, "hnsw")._index
    hnsw_build = time.perf_counter() - started
    k = min(CANDIDATES, len(vectors))
    _, exact = flat.search(queries, RECALL_AT)
    _, approx = hnsw.search(queries, k)
    recall = float(np.mean([len(set(e) & set(a[:RECALL_AT])) / RECALL_AT for e, a in zip(exact, approx)]))
    flat_times = time_each(lambda q: flat.search(q.reshape(1, -1), k), list(queries))
    hnsw_times = time_each(lambda q: hnsw.search(q.reshape(1, -1), k), list(queries))
    return {"vectors": len(vectors), "queries": len(queries), "recall_at_10": recall,
            "flat": {"build_s": flat_build, **summary_ms(flat_times)},
            "hnsw": {"build_s": hnsw_build, **summary_ms(hnsw_times)},
            "hnsw_speedup_p50": percentile_ms(flat_times, 50) / percentile_ms(hnsw_times, 50)}


def synthetic_vectors(count: int, centres: np.ndarray | None, seed: int, dim: int = DIMENSIONS) -> np.ndarray:
    """`count` unit vectors: real vectors plus noise when `centres` are given, else uniform on the sphere. Made in
    chunks of 100,000 so the noise never needs a second full-size array."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, dim), dtype=np.float32)
    for start in range(0, count, 100_000):
        size = min(100_000, count - start)
        if centres is not None:
            chunk = centres[rng.integers(0, len(centres), size)] + NOISE * rng.standard_normal((size, dim), dtype=np.float32)
        else:
            chunk = rng.standard_normal((size, dim), dtype=np.float32)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        out[start : start + size] = chunk
    return out
