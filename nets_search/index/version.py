"""Opening an index version: the one place that knows which files a search reads from a version folder, reads them
and checks they agree. The searcher opens the version in use (or one a build has staged); calibration copies one.

What it gives back is plain data: the search package turns the glossary entries into its `Glossary` and the
calibration file into its `Calibration` (both are search ideas; this package sits below it).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nets_search.encode.model import MODEL_NAME, model_hash
from nets_search.errors import IndexCorruptError, NetsSearchError
from nets_search.index import passage_store, store
from nets_search.index.current import current_version
from nets_search.index.layout import (CALIBRATION_FILE, LEXICAL_DIR, MANIFEST_FILE, MANIFEST_SUM_FILE, PASSAGES_DB,
                                      SENTENCE_VECTORS_FILE, VECTORS_FILE, VERSION_GLOSSARY_FILE)
from nets_search.index.lexical import LexicalIndex
from nets_search.index.manifest_file import REBUILD_HINT
from nets_search.index.vectors import VectorIndex, engine_of, open_vectors
from nets_search.types import Manifest, PageInfo, Passage

ATTEMPTS = 3  # a version switched out (and pruned) while it loads is followed to the newer one this many times


@dataclass(frozen=True)
class OpenVersion:
    """One version's contents, read and checked. Row i of the passages is row i of `passage_vectors` and BM25
    document i; sentence row j is row j of `sentence_vectors`."""

    manifest: Manifest
    folder: Path
    passages: list[Passage]
    pages: dict[str, PageInfo]  # where each page comes from, by page id
    passage_vectors: np.ndarray  # (passages, dimensions), for exact scoring of a question's candidates
    candidate_index: VectorIndex  # asked for a question's nearest passages (see VectorIndex.for_candidates)
    sentences: list[tuple[int, int, int]]  # (passage row, start, end) per sentence row
    sentence_vectors: np.ndarray  # (sentences, dimensions); the sentence index itself is not kept
    lexical: LexicalIndex
    glossary: dict[str, str]  # the corpus glossary's entries as the version was built with them
    calibration_file: Path | None  # the version's own fitted calibration, if it has one

    @property
    def version(self) -> str:
        return self.manifest.version


def open_version(index_dir: Path, folder: Path | None = None) -> OpenVersion:
    """The version in use, or the version in `folder` (a build calibrates a version before switching to it).

    If builds switch in newer versions (and prune this one) while it loads, the newer one is tried: a reader never
    fails just because editors were rebuilding. Anything unreadable is one IndexCorruptError line."""
    attempts = 0
    while True:
        version = current_version(index_dir)
        try:
            return _read(index_dir, folder)
        except (NetsSearchError, sqlite3.Error, RuntimeError, OSError) as exc:
            attempts += 1
            if folder is None and current_version(index_dir) != version and attempts < ATTEMPTS:
                continue
            if isinstance(exc, NetsSearchError):
                raise
            raise IndexCorruptError(f"{index_dir}: the index could not be read ({exc}); {REBUILD_HINT}") from None


def _read(index_dir: Path, folder: Path | None) -> OpenVersion:
    expect = f"{MODEL_NAME}@{model_hash()}"
    if folder is None:
        manifest, folder = store.open_current(index_dir, expect_model=expect)
    else:
        manifest, folder = store.open_folder(Path(folder), expect_model=expect)
    database = folder / PASSAGES_DB
    passages = passage_store.read_passages(database)
    engine = engine_of(manifest.vector_engine)
    passage_index = open_vectors(folder / VECTORS_FILE, engine)
    sentence_index = open_vectors(folder / SENTENCE_VECTORS_FILE, engine)
    sentences = passage_store.read_sentences(database)
    lexical = LexicalIndex.load(folder / LEXICAL_DIR, len(passages))
    if passage_index.count() != len(passages) or sentence_index.count() != len(sentences):
        raise IndexCorruptError(
            f"{folder}: {passage_index.count()} vectors for {len(passages)} passages and {sentence_index.count()} "
            f"for {len(sentences)} sentences; {REBUILD_HINT}"
        )
    calibration = folder / CALIBRATION_FILE
    return OpenVersion(
        manifest=manifest,
        folder=folder,
        passages=passages,
        pages=passage_store.read_pages(database),
        sentence_vectors=sentence_index.vectors(),
        passage_vectors=passage_index.vectors(),
        candidate_index=passage_index.for_candidates(),
        sentences=sentences,
        lexical=lexical,
        glossary=_glossary_entries(folder),
        calibration_file=calibration if calibration.is_file() else None,
    )


def _glossary_entries(folder: Path) -> dict[str, str]:
    path = folder / VERSION_GLOSSARY_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def copy_contents(folder: Path, staged: Path, leave_out: tuple[str, ...] = ()) -> None:
    """Copy a version's files into a staged folder, all but its manifest and checksum (the copy gets its own) and
    the files named in `leave_out`."""
    skipped = {MANIFEST_FILE, MANIFEST_SUM_FILE, *leave_out}
    for path in Path(folder).rglob("*"):
        target = staged / path.relative_to(folder)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.name not in skipped:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
