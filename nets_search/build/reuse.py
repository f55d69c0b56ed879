"""A build's passages and BM25 terms: those of unchanged pages taken from the version in use (with their vectors),
when it was built with today's settings; the others split and analysed anew. What keeps a one-page edit of a large
corpus in proportion to that page."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nets_search.build.embeddings import embedding_key
from nets_search.build.version_config import built_with
from nets_search.corpus.passages import SplitSettings, split_page
from nets_search.encode.model import count_tokens
from nets_search.index import passage_store
from nets_search.index.layout import PASSAGES_DB, VECTORS_FILE, version_dir
from nets_search.index.lexical import analyse, lexical_document
from nets_search.index.vectors import engine_of, open_vectors
from nets_search.types import Manifest, Page, Passage


@dataclass(frozen=True)
class Reusable:
    """What the version in use offers a build: per page, its content hash and (passage, terms, tokens, row);
    and its vectors by row."""

    pages: dict[str, tuple[str, list]] = field(default_factory=dict)
    vectors: np.ndarray | None = None


def reusable_passages(index_dir: Path, previous: Manifest | None, config: dict) -> Reusable:
    """Unchanged pages cost nothing to split, analyse or look up again when the version in use was built with
    today's settings (`config`)."""
    if previous is None or not built_with(previous, config):
        return Reusable()
    folder = version_dir(index_dir, previous.version)
    by_doc: dict[str, list] = {}
    for row, (passage, terms, tokens) in enumerate(passage_store.read_passages_with_terms(folder / PASSAGES_DB)):
        by_doc.setdefault(passage.doc_id, []).append((passage, terms, tokens, row))
    index = open_vectors(folder / VECTORS_FILE, engine_of(previous.vector_engine))
    vectors = index.vectors() if index.count() else None
    return Reusable({doc: (previous.files.get(doc, ""), items) for doc, items in by_doc.items()}, vectors)


def passages_and_terms(
    pages: list[Page], split: SplitSettings, reusable: Reusable, kept: dict[str, list[Passage]] | None = None
) -> tuple[list[Passage], list[list[str]], dict[str, tuple[np.ndarray, int]]]:
    """Passages and BM25 terms of every page (reused where the page is unchanged), and the vectors already
    known for the reused ones, by embedding key. A page whose previous version is kept (kept.py: its file cannot
    be published now) has the passages it had, analysed again when the version in use was built otherwise."""
    passages: list[Passage] = []
    terms: list[list[str]] = []
    known: dict[str, tuple[np.ndarray, int]] = {}
    kept = kept or {}
    for page in pages:
        content_hash, items = reusable.pages.get(page.doc_id, ("", []))
        if items and content_hash == page.content_hash and reusable.vectors is not None:
            for passage, passage_terms, tokens, row in items:
                passages.append(passage)
                terms.append(passage_terms)
                known[embedding_key(passage)] = (reusable.vectors[row], tokens)
            continue
        for passage in kept[page.doc_id] if page.doc_id in kept else split_page(page, split, count_tokens):
            passages.append(passage)
            terms.append(analyse(lexical_document(passage)))
    return passages, terms, known
