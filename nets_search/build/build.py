"""A build: corpus → passages → vectors (cached) + BM25 → a new index version, switched in atomically."""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from nets_search.index import embedding_cache
from nets_search.encode import encoder as encode
from nets_search.index import passage_store
from nets_search.index import store
from nets_search.build.changes import compare, corpus_glossary, file_hashes, previous_manifest
from nets_search.corpus.pages import load_corpus
from nets_search.corpus.passages import SplitSettings, sentence_units, split_page
from nets_search.errors import IndexMismatchError, NetsSearchError
from nets_search.index.lexical import BM25_SETTINGS, LexicalIndex, analyse, lexical_document
from nets_search.search.query import Glossary
from nets_search.text import sha256_text
from nets_search.types import BuildReport, Manifest, Page, Passage
from nets_search.index.vectors import engine_for_build, engine_of, index_type_of, open_vectors, write_vectors

ProgressFn = Callable[[int, int], None]
StageFn = Callable[[str], None]
EMBED_BATCH = 64
MAX_LISTED = 5  # warnings of one kind listed one by one before they are counted


@dataclass(frozen=True)
class BuildSettings:
    split: SplitSettings = field(default_factory=SplitSettings)
    backend: str = encode.DEFAULT_BACKEND
    skip_bad_files: bool = False


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
        loaded = load_corpus(Path(corpus), settings.skip_bad_files)
        pages = list(loaded.pages)
        glossary = corpus_glossary(Path(corpus))
        files = file_hashes(pages, glossary, Path(corpus))
        previous = previous_manifest(index_dir)
        config = _config(settings, previous)
        diff = compare(previous.files if previous else {}, files)
        damaged = _damaged(index_dir, previous)
        if (previous and not (force or damaged) and previous.files == files and _same_config(previous, config)
                and _vectors_stored_as_today(previous)):
            return BuildReport(previous.version, (), (), (), len(files), previous.passages, 0, previous.passages,
                               time.perf_counter() - started, warnings=loaded.warnings, nothing_changed=True)
        stage("loaded")
        reusable = _reusable_passages(index_dir, previous, config) if not damaged else _Reusable()
        passages, terms, known = _passages_and_terms(pages, settings.split, reusable)
        sentences = sentence_units(passages)
        texts = [p.embedding_text for p in passages] + [text for _, _, _, text in sentences]
        with store.writing_version(index_dir):
            all_vectors, all_tokens, new_keys, backend = _embeddings(texts, index_dir, settings, encoder, progress, known,
                                                                     cache_warnings := [])
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


@dataclass(frozen=True)
class _Reusable:
    """What the version in use offers a build: per page, its content hash and (passage, terms, tokens, row);
    and its vectors by row."""

    pages: dict[str, tuple[str, list]] = field(default_factory=dict)
    vectors: np.ndarray | None = None


def _reusable_passages(index_dir: Path, previous: Manifest | None, config: dict) -> _Reusable:
    """Unchanged pages cost nothing to split, analyse or look up again when the version in use was built with
    today's settings: what keeps a one-page edit of a large corpus in proportion to that page."""
    if previous is None or not _same_config(previous, config):
        return _Reusable()
    folder = store.version_dir(index_dir, previous.version)
    by_doc: dict[str, list] = {}
    for row, (passage, terms, tokens) in enumerate(passage_store.read_passages_with_terms(folder / store.PASSAGES_DB)):
        by_doc.setdefault(passage.doc_id, []).append((passage, terms, tokens, row))
    index = open_vectors(folder / store.VECTORS_FILE, engine_of(previous.vector_engine))
    vectors = index.vectors() if index.count() else None
    return _Reusable({doc: (previous.files.get(doc, ""), items) for doc, items in by_doc.items()}, vectors)


def _passages_and_terms(
    pages: list[Page], split: SplitSettings, reusable: _Reusable
) -> tuple[list[Passage], list[list[str]], dict[str, tuple[np.ndarray, int]]]:
    """Passages and BM25 terms of every page (reused where the page is unchanged), and the vectors already
    known for the reused ones, by embedding key."""
    passages: list[Passage] = []
    terms: list[list[str]] = []
    known: dict[str, tuple[np.ndarray, int]] = {}
    for page in pages:
        content_hash, items = reusable.pages.get(page.doc_id, ("", []))
        if items and content_hash == page.content_hash and reusable.vectors is not None:
            for passage, passage_terms, tokens, row in items:
                passages.append(passage)
                terms.append(passage_terms)
                known[embedding_key(passage)] = (reusable.vectors[row], tokens)
            continue
        for passage in split_page(page, split, encode.count_tokens):
            passages.append(passage)
            terms.append(analyse(lexical_document(passage)))
    return passages, terms, known


def embedding_key(passage: Passage) -> str:
    return sha256_text(passage.embedding_text)


def text_key(text: str) -> str:
    """The embedding cache key of a text (a passage's or a sentence's embedded text)."""
    return sha256_text(text)


def _config(settings: BuildSettings, previous: Manifest | None = None) -> dict:
    return {
        "model": encode.MODEL_NAME,
        "model_hash": encode.model_hash(),
        "backend": encode.model_key(settings.backend).rsplit("/", 1)[-1],
        "splitter": settings.split.as_dict(),
        "lexical": _retrieval_settings(),
        "format_version": store.FORMAT_VERSION,
        "vector_engine": engine_for_build(in_use=previous.vector_engine if previous else ""),
    }


def _retrieval_settings() -> dict:
    """BM25's settings, the searcher's fusion settings and the no-good-match signals: the version's calibration was
    fitted with all three, so a change of any (a new release) builds a new version, from the cache, with a
    calibration that matches."""
    from nets_search.search.confidence import SIGNALS_VERSION
    from nets_search.search.fusion import FusionSettings

    return {**dataclasses.asdict(BM25_SETTINGS), "fusion": dataclasses.asdict(FusionSettings()),
            "signals": SIGNALS_VERSION}


def _same_config(manifest: Manifest, config: dict) -> bool:
    built = {
        "model": manifest.model,
        "model_hash": manifest.model_hash,
        "backend": manifest.backend,
        "splitter": manifest.splitter,
        "lexical": manifest.lexical,
        "format_version": manifest.format_version,
        "vector_engine": engine_of(manifest.vector_engine),
    }
    return built == config


def _vectors_stored_as_today(manifest: Manifest) -> bool:
    """A version's passage vectors are stored as this release stores that many (exact, or an HNSW graph past
    vectors.HNSW_THRESHOLD): if not, even an unchanged corpus is built again, from the embedding cache."""
    return manifest.index_type == index_type_of(engine_of(manifest.vector_engine), manifest.passages)


def _damaged(index_dir: Path, manifest: Manifest | None) -> tuple[str, ...]:
    """A warning if the version in use cannot be used as it is (CURRENT, its manifest or a file is damaged): then
    even an unchanged corpus is built again, as the message that reported the damage told the editor to do. A
    version of another format or model is not damaged: it is rebuilt as any change of settings is."""
    try:
        if store.read_current(index_dir) is None:
            return ()
        store.open_current(index_dir)
    except IndexMismatchError:
        return ()
    except NetsSearchError:
        named = manifest.version if manifest else "named by CURRENT"
        return (f"the index in use ({named}) was damaged; a complete new version replaces it",)
    return ()


def _embeddings(
    texts: list[str],
    index_dir: Path,
    settings: BuildSettings,
    encoder: "encode.Encoder | None",
    progress: ProgressFn | None,
    known: dict[str, tuple[np.ndarray, int]],
    warnings: list[str],
) -> tuple[np.ndarray, list[int], set[str], str]:
    """Vectors and token counts for every text (passages, then sentences): reused, then from the cache,
    embedding only what both lack (whose keys are returned)."""
    keys = [text_key(t) for t in texts]
    cache = embedding_cache.EmbeddingCache(index_dir)
    warnings.extend(cache.warnings)
    try:
        model_key = encoder.key if encoder else encode.model_key(settings.backend)
        unique_keys = list(dict.fromkeys(keys))
        found = dict(known)
        found.update(cache.get(model_key, [k for k in unique_keys if k not in known]))
        missing = [i for i, k in enumerate(unique_keys) if k not in found]
        if missing:
            encoder = encode.loaded_encoder(encoder, settings.backend, Path(index_dir) / "cache")
            if encoder.key != model_key:  # the backend fell back: look again under the key that applies
                model_key = encoder.key
                found = cache.get(model_key, unique_keys)  # vectors of the version in use are of the old backend
                missing = [i for i, k in enumerate(unique_keys) if k not in found]
            text_of = dict(zip(keys, texts))
            _embed_missing([unique_keys[i] for i in missing], text_of, encoder, cache, model_key, found, progress)
        backend = model_key.rsplit("/", 1)[-1]
    finally:
        cache.close()
    vectors = np.stack([found[k][0] for k in keys]) if keys else np.zeros((0, encode.DIMENSIONS), np.float32)
    return vectors, [found[k][1] for k in keys], {unique_keys[i] for i in missing}, backend


def _embed_missing(keys, text_of, encoder, cache, model_key, found, progress) -> None:
    total = len(keys)
    for start in range(0, total, EMBED_BATCH):
        batch = keys[start : start + EMBED_BATCH]
        texts = [text_of[k] for k in batch]
        vectors = encoder.encode_passages(texts)
        tokens = encoder.token_counts(texts)
        cache.put(model_key, batch, vectors, tokens)
        found.update({k: (v, t) for k, v, t in zip(batch, vectors, tokens)})
        if progress:
            progress(min(start + EMBED_BATCH, total), total)


def _write_version(index_dir, version, content: _Content, config, backend, started, stage, calibrate) -> tuple[Manifest, str]:
    staged = store.staging_dir(index_dir, version)
    passages, vectors = content.passages, content.vectors
    engine = config["vector_engine"]
    write_vectors(vectors, staged / store.VECTORS_FILE, engine)
    write_vectors(content.sentence_vectors, staged / store.SENTENCE_VECTORS_FILE, engine, "flat")
    stage("vectors-written")
    passage_store.write_passage_store(staged / store.PASSAGES_DB, content.pages, passages, content.tokens, content.terms,
                              content.sentences)
    stage("passages-written")
    (staged / store.LEXICAL_DIR).mkdir()
    LexicalIndex.from_terms(content.terms).save(staged / store.LEXICAL_DIR)
    store.write_file(staged / store.GLOSSARY_FILE, json.dumps(content.glossary.to_dict(), indent=1).encode("utf-8"))
    manifest = Manifest(
        format_version=store.FORMAT_VERSION,
        version=version,
        model=config["model"],
        model_hash=config["model_hash"],
        backend=backend,
        dimensions=int(vectors.shape[1]) if len(vectors) else encode.DIMENSIONS,
        max_seq_length=encode.MAX_SEQ_LENGTH,
        splitter=config["splitter"],
        lexical=config["lexical"],
        files=content.files,
        passages=len(passages),
        index_type=index_type_of(engine, len(passages)),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        build_seconds=round(time.perf_counter() - started, 3),
        checksums=store.file_checksums(staged),
        vector_engine=engine,
    )
    store.write_manifest(staged, manifest)
    note = calibrate(staged)
    manifest = dataclasses.replace(manifest, checksums=store.file_checksums(staged))
    store.write_manifest(staged, manifest)
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
    count = open_vectors(folder / store.VECTORS_FILE, engine).count()
    rows = passage_store.count_passages(folder / store.PASSAGES_DB)
    if not count == rows == manifest.passages:
        raise NetsSearchError(f"{folder}: built index is inconsistent ({count} vectors, {rows} passages)")
    sentence_count = open_vectors(folder / store.SENTENCE_VECTORS_FILE, engine).count()
    if sentence_count != len(passage_store.read_sentences(folder / store.PASSAGES_DB)):
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
