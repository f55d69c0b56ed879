"""The dense vector index as a family: the `VectorIndex` protocol every engine implements, and the factory that
chooses an engine by name (a build's NETS_SEARCH_VECTORS, recorded in the version's manifest, which is what a
searcher opens it with). One module per engine: faiss_vectors.py (the default), qdrant_vectors.py (local mode and
a server). Adding an engine is its module and one `Engine` entry in `_FAMILY`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol

import numpy as np
from threadpoolctl import threadpool_limits

from nets_search.errors import NetsSearchError
from nets_search.index import faiss_vectors, qdrant_vectors
from nets_search.settings import EngineSettings, engine_settings


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


def _nothing(*args) -> None:
    """An engine step for engines that keep nothing outside a version's folder."""


@dataclass(frozen=True)
class Engine:
    """One vector engine: how it writes and opens a version's vector files, the index type a manifest records for
    a number of rows, and what it does when a version is switched in or deleted (no-ops unless it keeps something
    outside the version's folder, as a Qdrant server keeps collections and aliases)."""

    name: str
    write: Callable[[np.ndarray, Path, str | None], None]  # (matrix, path, index type or None: as its rows ask)
    open: Callable[[Path], VectorIndex]
    index_type_for: Callable[[int], str]
    index_types: frozenset[str]  # every index type it records
    keeps_outside: Callable[[Path], bool] = lambda path: False  # the file names something kept outside the folder
    switched_to: Callable[[list[Path]], None] = _nothing  # (the version's vector files)
    release: Callable[[list[Path], list[Path]], None] = _nothing  # (its vector files, other versions' vector files)


def _qdrant(mode: str, write, open_index, **steps) -> Engine:
    index_type = qdrant_vectors.INDEX_TYPES[mode]
    return Engine(mode, write, open_index, lambda count: index_type, frozenset({index_type}), **steps)


DEFAULT_ENGINE = "faiss"
_FAMILY = {engine.name: engine for engine in (
    Engine(DEFAULT_ENGINE, faiss_vectors.write, faiss_vectors.open_index, faiss_vectors.index_type_for,
           faiss_vectors.INDEX_TYPES),
    _qdrant(qdrant_vectors.LOCAL, qdrant_vectors.save_local, qdrant_vectors.open_local),
    _qdrant(qdrant_vectors.SERVER, qdrant_vectors.save_server, qdrant_vectors.open_server,
            keeps_outside=qdrant_vectors.is_server_pointer, switched_to=qdrant_vectors.switched_to,
            release=qdrant_vectors.release),
)}
ENGINES = tuple(_FAMILY)


def engine(name: str) -> Engine:
    """The engine of that name, as a build chose it or a manifest records it (`engine_of`)."""
    return _FAMILY[engine_of(name)]


def engine_of(recorded: str) -> str:
    """The engine a manifest records ("" in versions built before engines were named: FAISS)."""
    return recorded or DEFAULT_ENGINE


def engine_keeping(files: list[Path]) -> Engine:
    """The engine whose switch and delete steps apply to a version with these vector files: the one that keeps
    something of it outside the folder, found from the files themselves (a damaged manifest may be why the version
    is being deleted); for any other version, whichever engine wrote it, those steps do nothing."""
    return next((e for e in _FAMILY.values() if any(e.keeps_outside(f) for f in files)), _FAMILY[DEFAULT_ENGINE])


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


def index_type_of(engine_name: str, count: int) -> str:
    """What a manifest records for `count` passage vectors kept by `engine_name`."""
    return engine(engine_name).index_type_for(count)


def write_vectors(matrix: np.ndarray, path: Path, engine_name: str, index_type: str | None = None) -> None:
    """Store `matrix` (row i = passage or sentence i) at `path` in the version being built."""
    engine(engine_name).write(matrix, path, index_type)


def open_vectors(path: Path, engine_name: str = DEFAULT_ENGINE) -> VectorIndex:
    return engine(engine_name).open(path)


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
    faiss_vectors.single_thread()
    threadpool_limits(limits=1, user_api="blas")
