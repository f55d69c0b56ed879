"""The passage store of one index version (passages.sqlite): pages (title, source, publisher, review date),
passages in row order (row i is vector i and BM25 document i) with their analysed terms, and sentence spans
(row j is sentence vector j)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from nets_search.types import Page, PageInfo, Passage


_SCHEMA = """
CREATE TABLE pages (
    doc_id TEXT PRIMARY KEY, path TEXT, title TEXT, source TEXT, reviewed TEXT, content_hash TEXT, publisher TEXT
);
CREATE TABLE passages (
    row INTEGER PRIMARY KEY, passage_id TEXT UNIQUE NOT NULL, doc_id TEXT NOT NULL, title TEXT,
    section TEXT, text TEXT NOT NULL, position INTEGER, section_index INTEGER, source TEXT, tokens INTEGER,
    terms TEXT NOT NULL
);
CREATE INDEX passages_doc ON passages (doc_id, position);
CREATE TABLE sentences (
    row INTEGER PRIMARY KEY, passage_row INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL
);
"""


def write_passage_store(
    path: Path,
    pages: list[Page],
    passages: list[Passage],
    tokens: list[int],
    terms: list[list[str]],
    sentences: list[tuple[int, int, int]] = (),
) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(_SCHEMA)
        db.executemany(
            "INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(p.doc_id, p.path, p.title, p.source, p.reviewed, p.content_hash, p.publisher) for p in pages],
        )
        db.executemany(
            "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (row, p.passage_id, p.doc_id, p.title, p.section, p.text, p.position, p.section_index, p.source, t,
                 " ".join(words))
                for row, (p, t, words) in enumerate(zip(passages, tokens, terms))
            ],
        )
        db.executemany("INSERT INTO sentences VALUES (?, ?, ?, ?)",
                       [(row, *sentence) for row, sentence in enumerate(sentences)])
    db.close()


def _rows(path: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


_PASSAGE_COLUMNS = "passage_id, doc_id, title, section, text, position, section_index, source"


def read_pages(path: Path) -> dict[str, PageInfo]:
    """Each page's title, source link, publisher and review date, by page id."""
    rows = _rows(path, "SELECT doc_id, title, source, publisher, reviewed FROM pages")
    return {doc_id: PageInfo(title or "", source or "", publisher or "", reviewed or "")
            for doc_id, title, source, publisher, reviewed in rows}


def read_passages(path: Path) -> list[Passage]:
    """All passages in row order (row i is vector i and BM25 document i)."""
    return [Passage(*row) for row in _rows(path, f"SELECT {_PASSAGE_COLUMNS} FROM passages ORDER BY row")]


def read_passages_with_terms(path: Path) -> list[tuple[Passage, list[str], int]]:
    """Passages in row order with their analysed BM25 terms and token counts, for a build to reuse those of
    unchanged pages."""
    rows = _rows(path, f"SELECT {_PASSAGE_COLUMNS}, terms, tokens FROM passages ORDER BY row")
    return [(Passage(*row[:8]), row[8].split(), row[9]) for row in rows]


def read_sentences(path: Path) -> list[tuple[int, int, int]]:
    """(passage row, start, end) of every sentence in row order (row i is sentence vector i)."""
    return [tuple(row) for row in _rows(path, "SELECT passage_row, start, end FROM sentences ORDER BY row")]


def count_passages(path: Path) -> int:
    return int(_rows(path, "SELECT count(*) FROM passages")[0][0])
