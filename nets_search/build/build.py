"""A build: corpus → passages → vectors (cached) + BM25 → a new index version, switched in atomically.

A file that cannot be read, or has no text, does not stop the others: it is left out and listed, and the previous
version of its page is kept (kept.py). Only a strict build (the command line's default) stops on one, publishing
nothing."""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from nets_search.atomic_write import replace_file
from nets_search.build.changes import compare, corpus_glossary, file_hashes, previous_manifest
from nets_search.build.embeddings import ProgressFn, embedding_key, embeddings
from nets_search.build.kept import keep_previous
from nets_search.build.reuse import Reusable, passages_and_terms, reusable_passages
from nets_search.build.version_config import built_with, vectors_stored_as_today, version_config
from nets_search.corpus.pages import load_corpus
from nets_search.corpus.passages import SplitSettings, sentence_units
from nets_search.encode import encoder as encode
from nets_search.errors import IndexMismatchError, NetsSearchError
from nets_search.index import manifest_file, passage_store, store
from nets_search.index.current import read_current
from nets_search.index.layout import (FORMAT_VERSION, LEXICAL_DIR, PASSAGES_DB, SENTENCE_VECTORS_FILE, VECTORS_FILE,
                                      VERSION_GLOSSARY_FILE)
from nets_search.index.lexical import LexicalIndex
from nets_search.index.vectors import engine_of, index_type_of, open_vectors, write_vectors
from nets_search.corpus.glossary import Glossary
from nets_search.types import BuildReport, Manifest, Page, Passage

StageFn = Callable[[str], None]
MAX_LISTED = 5  # warnings of one kind listed one by one before they are counted


@dataclass(frozen=True)
class BuildSettings:
    split: SplitSettings = field(default_factory=SplitSettings)
    backend: str = encode.DEFAULT_BACKEND
    strict: bool = False  # stop, publishing nothing, when a file of the corpus cannot be read


def build_index(
    corpus: Path,
    index_dir: Path,
    settings: BuildSettings = BuildSettings(),
    encoder: "encode.Encoder | None" = None,
    progress: ProgressFn | None = None,
    stage: StageFn | None = None,
    force: bool = False,
) -> BuildReport:
    """Build `index_dir` from `corpus`. Embeds only passages the cache lacks; loads no model if none."""
    started = time.perf_counter()
    stage = stage or (lambda name: None)
    index_dir = Path(index_dir)
    with store.build_lock(index_dir):
        store.prune(index_dir)
        loaded = load_corpus(Path(corpus), skip_bad_files=not settings.strict)
        glossary = corpus_glossary(Path(corpus))
        previous = previous_manifest(index_dir)
        damaged = _damaged(index_dir, previous)
        kept = keep_previous(index_dir, previous, loaded.unreadable, {p.doc_id for p in loaded.pages}, bool(damaged))
        pages = [*loaded.pages, *kept.pages]
        files = file_hashes(pages, glossary, Path(corpus))
        config = version_config(settings.split, settings.backend, previous)
        diff = compare(previous.files if previous else {}, files)
        if (previous and not (force or damaged) and previous.files == files and built_with(previous, config)
                and vectors_stored_as_today(previous)):
            return BuildReport(previous.version, (), (), (), len(files), previous.passages, 0, previous.passages,
                               time.perf_counter() - started, warnings=loaded.warnings, nothing_changed=True,
                               pages=len(loaded.pages), not_published=kept.not_published)
        stage("loaded")
        reusable = reusable_passages(index_dir, previous, config) if not damaged else Reusable()
        passages, terms, known = passages_and_terms(pages, settings.split, reusable, kept.passages)
        sentences = sentence_units(passages)
        texts = [p.embedding_text for p in passages] + [text for _, _, _, text in sentences]
        with store.writing_version(index_dir):
            all_vectors, all_tokens, new_keys, backend = embeddings(texts, index_dir, settings.backend, encoder, progress,
                                                                    known, cache_warnings := [])
        embedded = sum(1 for p in passages if embedding_key(p) in new_keys)
        stage("embedded")
        vectors, tokens = all_vectors[: len(passages)], all_tokens[: len(passages)]
        version = store.new_version_name()
        content = _Content(pages, passages, vectors, tokens, terms, glossary, files,
                           [(row, start, end) for row, start, end, _ in sentences], all_vectors[len(passages) :])
        calibrate = _calibrator(Path(corpus), index_dir, settings, encoder)
        with store.writing_version(index_dir, version):
            manifest, calibration_note = _write_version(index_dir, version, content, config, backend, started, stage,
                                                        calibrate)
        store.prune(index_dir)
    return BuildReport(
        version=manifest.version,
        added=diff[0],
        changed=diff[1],
        removed=diff[2],
        unchanged=sum(1 for name in files if name not in diff[0] and name not in diff[1] and name in {p.doc_id for p in pages}),
        passages=len(passages),
        embedded=embedded,
        reused=len(passages) - embedded,
        sentences=len(sentences),
        seconds=time.perf_counter() - started,
        over_token_limit=tuple(p.passage_id for p, t in zip(passages, tokens) if t > encode.MAX_SEQ_LENGTH),
        warnings=loaded.warnings + damaged + tuple(cache_warnings) + _duplicate_warnings(passages),
        calibration=calibration_note,
        pages=len(loaded.pages),
        not_published=kept.not_published,
    )


@dataclass(frozen=True)
class _Content:
    """Everything a version is written from."""

    pages: list[Page]
    passages: list[Passage]
    vectors: np.ndarray
    tokens: list[int]
    terms: list[list[str]]
    glossary: Glossary
    files: dict[str, str]
    sentences: list[tuple[int, int, int]]  # (passage row, start, end) of every sentence, in passage order
    sentence_vectors: np.ndarray


def _damaged(index_dir: Path, manifest: Manifest | None) -> tuple[str, ...]:
    """A warning if the version in use cannot be used as it is (CURRENT, its manifest or a file is damaged): then
    even an unchanged corpus is built again, as the message that reported the damage told the editor to do. A
    version of another format or model is not damaged: it is rebuilt as any change of settings is."""
    try:
        if read_current(index_dir) is None:
            return ()
        store.open_current(index_dir)
    except IndexMismatchError:
        return ()
    except NetsSearchError:
        named = manifest.version if manifest else "named by CURRENT"
        return (f"the index in use ({named}) was damaged; a complete new version replaces it",)
    return ()


def _write_version(index_dir, version, content: _Content, config, backend, started, stage, calibrate) -> tuple[Manifest, str]:
    """Every file of the version (layout.py names them) into a staging folder, its manifest sealed, read back
    (`_verify`) and published: the version in use until then is never touched."""
    staged = store.staging_dir(index_dir, version)
    passages, vectors = content.passages, content.vectors
    engine = config["vector_engine"]
    write_vectors(vectors, staged / VECTORS_FILE, engine)
    write_vectors(content.sentence_vectors, staged / SENTENCE_VECTORS_FILE, engine, "flat")
    stage("vectors-written")
    passage_store.write_passage_store(staged / PASSAGES_DB, content.pages, passages, content.tokens, content.terms,
                                      content.sentences)
    stage("passages-written")
    (staged / LEXICAL_DIR).mkdir()
    LexicalIndex.from_terms(content.terms).save(staged / LEXICAL_DIR)
    replace_file(staged / VERSION_GLOSSARY_FILE, json.dumps(content.glossary.to_dict(), indent=1).encode("utf-8"))
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        version=version,
        model=config["model"],
        model_hash=config["model_hash"],
        backend=backend,
        dimensions=int(vectors.shape[1]) if len(vectors) else encode.DIMENSIONS,
        max_seq_length=encode.MAX_SEQ_LENGTH,
        splitter=config["splitter"],
        retrieval=config["retrieval"],
        files=content.files,
        passages=len(passages),
        index_type=index_type_of(engine, len(passages)),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        build_seconds=round(time.perf_counter() - started, 3),
        checksums=manifest_file.file_checksums(staged),
        vector_engine=engine,
    )
    manifest_file.write_manifest(staged, manifest)
    note = calibrate(staged)
    manifest = dataclasses.replace(manifest, checksums=manifest_file.file_checksums(staged))
    manifest_file.write_manifest(staged, manifest)
    _verify(staged, manifest)
    stage("verified")
    store.publish(index_dir, staged, version)
    stage("published")
    return manifest, note


def _calibrator(corpus: Path, index_dir: Path, settings: BuildSettings, encoder):
    """A function that fits the version's "no good match" decision on the tune part of the corpus's labelled
    questions and writes it into the staged version; the package default is used when the corpus has too few."""

    def calibrate(staged: Path) -> str:
        from nets_search.build.calibrate import calibrate_version

        return calibrate_version(corpus, staged, index_dir, encoder, settings.backend)

    return calibrate


def _verify(folder: Path, manifest: Manifest) -> None:
    """Read the staged version back before it may answer queries: its manifest, as a reader will check it, and the
    files' checksums (just taken), then the vectors and passages agree in number."""
    store.open_folder(folder)
    engine = engine_of(manifest.vector_engine)
    count = open_vectors(folder / VECTORS_FILE, engine).count()
    rows = passage_store.count_passages(folder / PASSAGES_DB)
    if not count == rows == manifest.passages:
        raise NetsSearchError(f"{folder}: built index is inconsistent ({count} vectors, {rows} passages)")
    sentence_count = open_vectors(folder / SENTENCE_VECTORS_FILE, engine).count()
    if sentence_count != len(passage_store.read_sentences(folder / PASSAGES_DB)):
        raise NetsSearchError(f"{folder}: built index is inconsistent ({sentence_count} sentence vectors)")


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def _duplicate_warnings(passages: list[Passage]) -> tuple[str, ...]:
    counts = Counter(p.text for p in passages)
    docs_by_text: dict[str, set[str]] = {}
    for p in passages:
        if counts[p.text] > 1:
            docs_by_text.setdefault(p.text, set()).add(p.doc_id)
    repeated = sorted({_names(sorted(d)) for d in docs_by_text.values() if len(d) > 1})
    shown = tuple(f"identical passages appear on several pages: {docs}" for docs in repeated[:MAX_LISTED])
    more = len(repeated) - MAX_LISTED
    return shown + ((f"... and {more} more sets of pages sharing identical passages",) if more > 0 else ())
