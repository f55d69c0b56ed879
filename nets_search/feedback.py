"""'Did this answer your question?' replies, stored locally in SQLite, and the editors' list of gaps.

A reply records only the question as typed, the passage ids that were shown, yes or no, and a UTC timestamp:
no session id, IP address, user agent or anything else that could identify the reader.

Storing a reply is best effort: a locked, read-only or missing database logs one warning and returns False.
The page never waits more than `TIMEOUT_SECONDS` for the database and never fails a search because of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 0.5
GOLDEN_TODO = "editor: fill in 'expect' with phrases the answering passage must contain, or set \"out_of_scope\": true"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    id INTEGER PRIMARY KEY,
    question TEXT NOT NULL,
    question_key TEXT NOT NULL,
    passage_ids TEXT NOT NULL,
    answered INTEGER NOT NULL CHECK (answered IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS replies_unanswered ON replies (answered, question_key);
"""


@dataclass(frozen=True)
class Gap:
    """A question readers said was not answered: how often, and when last."""

    question: str
    count: int
    last_asked: str


def question_key(question: str) -> str:
    """Questions that differ only in case and spacing count as one."""
    return " ".join(question.lower().split())


class FeedbackStore:
    """Replies in one SQLite file. Opens a short-lived connection per call, so it is safe across threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=TIMEOUT_SECONDS)
        db.executescript(_SCHEMA)
        return db

    def record(self, question: str, passage_ids: list[str] | tuple[str, ...], answered: bool) -> bool:
        """Store one reply. Returns False (after a logged warning) if the database cannot be written."""
        row = (
            question,
            question_key(question),
            json.dumps(list(passage_ids)),
            int(bool(answered)),
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        try:
            db = self._connect()
            try:
                with db:
                    db.execute(
                        "INSERT INTO replies (question, question_key, passage_ids, answered, created_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        row,
                    )
            finally:
                db.close()
        except (sqlite3.Error, OSError) as exc:
            log.warning("feedback not stored in %s: %s", self.path, exc)
            return False
        return True

    def unanswered(self, limit: int = 20) -> list[Gap]:
        """Questions with 'no' replies, most frequent first (then most recent). Empty if the store is unreadable."""
        if not self.path.exists():
            return []
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=TIMEOUT_SECONDS)
            try:
                rows = db.execute(
                    "SELECT question, COUNT(*) AS n, MAX(created_at) AS last FROM replies WHERE answered = 0 "
                    "GROUP BY question_key ORDER BY n DESC, last DESC, question_key LIMIT ?",
                    (int(limit),),
                ).fetchall()
            finally:
                db.close()
        except (sqlite3.Error, OSError) as exc:
            log.warning("feedback not readable from %s: %s", self.path, exc)
            return []
        return [Gap(question, count, last) for question, count, last in rows]


def golden_id(question: str) -> str:
    return "feedback-" + hashlib.sha256(question_key(question).encode("utf-8")).hexdigest()[:10]


def add_golden_question(path: Path, question: str) -> bool:
    """Append `question` to the golden questions file (JSONL) as a to-do for editors.

    The line has an empty `expect` list and a `todo` note: an editor fills in the phrases the answer must
    contain (or marks it out of scope) before it counts in an evaluation. Returns False if the question is
    already in the file. Raises OSError if the file cannot be written.
    """
    path = Path(path)
    key = question_key(question)
    if key in _golden_keys(path):
        return False
    line = {"id": golden_id(question), "question": " ".join(question.split()), "expect": [], "todo": GOLDEN_TODO}
    prefix = ""
    if path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
        prefix = "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(prefix + json.dumps(line, ensure_ascii=False) + "\n")
    return True


def _golden_keys(path: Path) -> set[str]:
    if not path.exists():
        return set()
    keys = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get("question"), str):
            keys.add(question_key(record["question"]))
    return keys
