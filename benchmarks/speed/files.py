"""The folders a run reads and the index files it copies, links or reads back."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np

from nets_search.encode.model import model_hash
from nets_search.index import store
from nets_search.index.layout import VECTORS_FILE
from nets_search.index.vectors import engine_of, open_vectors

REPO = Path(__file__).resolve().parents[2]
SEED_CORPUS = REPO / "corpus"
MEDQUAD_INDEX = REPO / "index-beir-medquad"


def read_vectors(index: Path) -> np.ndarray:
    """The passage vectors of an index's version in use, read back from its passage-vectors file."""
    manifest, folder = store.open_current(index)
    return open_vectors(folder / VECTORS_FILE, engine_of(manifest.vector_engine)).vectors()


def index_size(index: Path) -> dict:
    """Bytes of the version folder in use, whole and per passage."""
    manifest, folder = store.open_current(index)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"passages": manifest.passages, "version_bytes": size, "bytes_per_passage": size / max(1, manifest.passages)}


def seed_model_cache(cache: Path) -> None:
    """Reuse an ONNX export already made for this model (repo index caches) so a run does not export again."""
    target = cache / "onnx" / model_hash()
    if (target / "onnx" / "model.onnx").is_file():
        return
    for index in (REPO / "index", MEDQUAD_INDEX):
        source = index / "cache" / "onnx" / model_hash()
        if (source / "onnx" / "model.onnx").is_file() and (source / "modules.json").is_file():
            _copy_folder_into_place(source, target)
            return


def _copy_folder_into_place(source: Path, target: Path) -> None:
    """Copy beside the target, then rename: a concurrent run never sees half an export."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".tmp-bench-{os.getpid()}"
    shutil.copytree(source, staging)
    if not target.exists():
        staging.replace(target)
    shutil.rmtree(staging, ignore_errors=True)


def link_model_cache(index: Path, cache: Path) -> None:
    """Let a temporary index find the ONNX export (as index/cache/onnx), so fresh processes do not export."""
    link = index / "cache" / "onnx"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(cache / "onnx", target_is_directory=True)


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy even while another process writes the source (SQLite's online backup)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
