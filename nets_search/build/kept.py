"""Pages a build cannot publish now (their file cannot be read, or has no text) keep their previous version: a
broken save must never take a page off the site. The page and its passages are read back from the version in use's
passage store; their vectors come, like every passage's, from the embedding cache by text (embeddings.py), so
keeping a page costs no model. A page the version in use does not have is simply not added."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from nets_search.corpus.pages import Unreadable
from nets_search.errors import NetsSearchError
from nets_search.index import passage_store
from nets_search.index.layout import PASSAGES_DB, version_dir
from nets_search.types import BuildReport, Manifest, NotPublished, Page, Passage


@dataclass(frozen=True)
class Kept:
    """The previous versions a build carries over, and the list of files it did not publish."""

    pages: tuple[Page, ...] = ()  # as the version in use has them (no body: nothing is split again)
    passages: dict[str, list[Passage]] = field(default_factory=dict)  # by page id, in page order
    not_published: tuple[NotPublished, ...] = ()


def keep_previous(index_dir: Path, previous: Manifest | None, unreadable: tuple[Unreadable, ...],
                  published: set[str], damaged: bool) -> Kept:
    """The previous version of every page in `unreadable` that the version in use has, unless a readable file
    gives that page id now (`published`) or the version in use is damaged (nothing of it is trusted)."""
    before = previous.files if previous else {}
    wanted = {u.doc_id for u in unreadable if u.doc_id and u.doc_id in before and u.doc_id not in published}
    pages, passages = _read_previous(index_dir, previous, wanted) if wanted and not damaged else ({}, {})
    kept = tuple(_as_page(pages[u.doc_id], u, before[u.doc_id]) for u in unreadable if u.doc_id in pages)
    listed = tuple(_not_published(u, u.doc_id in pages, u.doc_id in before) for u in unreadable)
    return Kept(kept, {page.doc_id: passages.get(page.doc_id, []) for page in kept}, listed)


def _read_previous(index_dir: Path, previous: Manifest, wanted: set[str]) -> tuple[dict, dict[str, list[Passage]]]:
    """(page info, passages) of the `wanted` pages in the version in use; nothing when it cannot be read (then the
    pages are off the site until fixed, which the list says)."""
    store_file = version_dir(index_dir, previous.version) / PASSAGES_DB
    try:
        infos = passage_store.read_pages(store_file)
        rows = passage_store.read_passages(store_file)
    except (sqlite3.Error, NetsSearchError, OSError):
        return {}, {}
    passages: dict[str, list[Passage]] = {}
    for passage in rows:
        if passage.doc_id in wanted:
            passages.setdefault(passage.doc_id, []).append(passage)
    return {doc: info for doc, info in infos.items() if doc in wanted}, passages


def _as_page(info, unreadable: Unreadable, content_hash: str) -> Page:
    """The page as the version in use has it, with the hash it was published under: while its file stays broken
    the page is unchanged, and once fixed it is changed and read anew."""
    return Page(doc_id=unreadable.doc_id, title=info.title, body="", kind="markdown", content_hash=content_hash,
                source=info.source, reviewed=info.reviewed, path=unreadable.file, publisher=info.publisher)


def _not_published(unreadable: Unreadable, kept: bool, was_published: bool) -> NotPublished:
    return NotPublished(file=unreadable.file, reason=unreadable.reason, line=unreadable.line, previous_kept=kept,
                        was_published=was_published, settings_file=not unreadable.doc_id)


def not_published_lines(report: BuildReport) -> list[str]:
    """The report's list of files left out, near its top (an editor must not find it on the last line):
    "Published 11 pages; 1 not published:", then one line per file. Nothing when every file was published."""
    if not report.not_published:
        return []
    count = len(report.not_published)
    head = (f"{count} {'file' if count == 1 else 'files'} not published:" if report.nothing_changed
            else f"Published {report.pages} {'page' if report.pages == 1 else 'pages'}; {count} not published:")
    return [head, *(f"  {item.message}" for item in report.not_published)]
