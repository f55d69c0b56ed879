"""The three systems compared, each as one search over the same passages of one index.

The project: its full hybrid search (`Searcher.search(q, k=5)`). The strong peer and the naive baseline: a bare
dense search (encode the question, search a flat FAISS index of the index's own passage vectors), with the
peer's ONNX-int8 model and the baseline's PyTorch one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import faiss
import numpy as np

from nets_search.index import store
from nets_search.search.searcher import Searcher

from .files import read_vectors
from .models import Models

K = 5  # results per search, as the page shows

Search = Callable[[str], object]


@dataclass(frozen=True)
class Systems:
    """One search function per system, by name (project, peer, baseline), and the project's searcher."""

    searches: dict[str, Search]
    searcher: Searcher


def load_systems(index: Path, models: Models) -> Systems:
    manifest, _ = store.open_current(index)
    searcher = Searcher(index, encoder=models.encoder(manifest.backend))
    flat = flat_index(read_vectors(index))
    searches = {"project": lambda q: searcher.search(q, k=K), "peer": dense_search(models.peer(), flat),
                "baseline": dense_search(models.baseline(), flat)}
    return Systems(searches, searcher)


def flat_index(vectors: np.ndarray) -> faiss.IndexFlatIP:
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    return flat


def dense_search(model, flat: faiss.IndexFlatIP) -> Search:
    """Encode the question with a SentenceTransformer, then the K nearest passages of the flat index."""

    def search(q: str) -> None:
        vector = model.encode([q], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        flat.search(np.asarray(vector, dtype=np.float32), K)

    return search


def warm_up(searches: dict[str, Search], questions: list[str]) -> None:
    """Answer each question with every system, untimed: first calls pay for lazy loading and caches."""
    for q in questions:
        for search in searches.values():
            search(q)
