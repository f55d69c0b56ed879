"""build: a full build against the naive baseline and the strong peer, on the seed corpus and a larger one.

The project builds into a fresh index folder with an empty embedding cache, its model preloaded (load times are
reported apart, in meta.load_seconds); the peer and the baseline each encode plain 180-word windows of the same
documents into a flat FAISS index and write it, as a small team's first pipeline would. The two produce different
passage counts, so the ratios compare seconds on the same documents.
"""

from __future__ import annotations

import time
from pathlib import Path

import faiss
import numpy as np

import workloads
from nets_search.build.build import BuildSettings, build_index

from .files import SEED_CORPUS
from .inputs import Inputs
from .models import Models


def measure(inputs: Inputs) -> dict:
    out = {}
    for name, corpus in (("seed", SEED_CORPUS), ("large", inputs.large_corpus())):
        folder = inputs.plan.work / f"build-{name}"
        out[name] = measure_build(corpus, folder, inputs.models)
        out[name]["corpus"] = "corpus/" if name == "seed" else inputs.large_source()
        if name == "seed":
            inputs.use_seed_index(folder / "index")
        else:
            inputs.large_index = folder / "index"
    return out


def measure_build(corpus: Path, folder: Path, models: Models) -> dict:
    """Seconds and passages/s of each system on one corpus, and the baseline's and the peer's seconds over the
    project's."""
    encoder = models.encoder()
    started = time.perf_counter()
    built = build_index(corpus, folder / "index", BuildSettings(backend=encoder.requested_backend), encoder=encoder)
    project_seconds = time.perf_counter() - started
    windows = workloads.windows(workloads.raw_documents(corpus))
    others = {name: _flat_build_seconds(model, windows, folder / f"{name}.faiss")
              for name, model in (("baseline", models.baseline()), ("peer", models.peer()))}
    documents = len(workloads.raw_documents(corpus))
    out = {
        "documents": documents,
        "project": {"seconds": project_seconds, "passages": built.passages, "embedded": built.embedded,
                    "passages_per_s": built.passages / project_seconds, "documents_per_s": documents / project_seconds,
                    "backend": encoder.backend},
    }
    for name, seconds in others.items():
        out[name] = {"seconds": seconds, "passages": len(windows), "passages_per_s": len(windows) / seconds,
                     "documents_per_s": documents / seconds}
    out["speedup"] = others["baseline"] / project_seconds
    out["speedup_vs_peer"] = others["peer"] / project_seconds
    return out


def _flat_build_seconds(model, windows: list[str], target: Path) -> float:
    """Seconds to encode the windows with a SentenceTransformer and write them as a flat FAISS index."""
    started = time.perf_counter()
    vectors = model.encode(windows, batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(np.asarray(vectors, dtype=np.float32))
    faiss.write_index(flat, str(target))
    return time.perf_counter() - started
