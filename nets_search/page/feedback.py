"""'Did this answer your question?' replies, stored locally in SQLite, and the editors' list of gaps. (A gap an
editor turns into a golden question is written by evaluate/golden_file.py.)

A reply records the question (normalised, cut to 1,000 characters, with obvious identifiers masked by privacy.py:
NHS numbers, e-mail addresses, phone numbers, dates), the passage ids that were shown, yes or no, and a UTC timestamp; no
session id, IP address or user agent. Free text can still hold personal health information: the store is capped
(rows per day, rows in all, oldest out) and keeps replies for NETS_SEARCH_FEEDBACK_DAYS (settings.py) only.

Storing a reply is best effort: a locked, read-only or missing database logs one warning and returns False.
The page never waits more than `TIMEOUT_SECONDS` for the database and never fails a search because of it.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from nets_search.errors import NetsSearchError
from nets_search.evaluate.golden_file import question_key
from nets_search.page.privacy import mask_identifiers
from nets_search.settings import EngineSettings, engine_settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 0.5
MAX_ROWS = 20_000  # the whole store; the oldest replies go first
MAX_ROWS_PER_DAY = 2_000


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
CREATE TABLE IF NOT EXISTS daily (day TEXT PRIMARY KEY, replies INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS handled (
    question_key TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    handled_at TEXT NOT NULL
);
"""

HANDLED_REASONS = ("page added", "synonym added", "not our topic")


@dataclass(frozen=True)
class Gap:
    """A question readers said was not answered: how often, when last, and the passages the last reader was shown.
    Asked again after an editor handled it, it is open again (the fix did not answer that reader)."""

    question: str
    count: int
    last_asked: str
    key: str = ""
    passage_ids: tuple[str, ...] = ()


class FeedbackStore:
    """Replies in one SQLite file. Opens a short-lived connection per call, so it is safe across threads."""

    _tidied: set[Path] = set()  # stores whose retention was applied in this process

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        try:
            db = self._open()
        except sqlite3.DatabaseError as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if code is not None and (code & 0xFF) not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
                raise
            aside = self.path.with_name(f"{self.path.stem}.damaged-{time.strftime('%Y%m%dT%H%M%S')}{self.path.suffix}")
            os.replace(self.path, aside)
            log.warning("feedback database %s was damaged (%s); moved aside to %s, a new one is started",
                        self.path, exc, aside.name)
            db = self._open()
        if self.path not in FeedbackStore._tidied:
            FeedbackStore._tidied.add(self.path)
            with db:
                db.execute("DELETE FROM replies WHERE created_at < ?", (_days_ago(_retention_days()),))
                db.execute("DELETE FROM daily WHERE day < ?", (_days_ago(2)[:10],))
        return db

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=TIMEOUT_SECONDS)
        try:
            db.executescript(_SCHEMA)
            db.execute("SELECT question, question_key, passage_ids, answered, created_at FROM replies LIMIT 1")
        except sqlite3.OperationalError as exc:
            db.close()
            if "no such column" in str(exc):
                raise sqlite3.DatabaseError(f"unexpected schema ({exc})") from None
            raise
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def record(self, question: str, passage_ids: list[str] | tuple[str, ...], answered: bool) -> bool:
        """Store one reply (identifiers masked, within the caps). Returns False (after a logged warning) if the
        database cannot be written or today's cap is reached."""
        question = mask_identifiers(question)
        row = (
            question,
            question_key(question),
            json.dumps(list(passage_ids)),
            int(bool(answered)),
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        try:
            with closing(self._connect()) as db, db:
                day = time.strftime("%Y-%m-%d", time.gmtime())
                today = db.execute("SELECT replies FROM daily WHERE day = ?", (day,)).fetchone()
                if today and today[0] >= MAX_ROWS_PER_DAY:
                    log.warning("feedback not stored: today's cap of %d replies is reached", MAX_ROWS_PER_DAY)
                    return False
                db.execute(
                    "INSERT INTO replies (question, question_key, passage_ids, answered, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    row,
                )
                db.execute("INSERT INTO daily VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET replies = replies + 1",
                           (day,))
                db.execute("DELETE FROM replies WHERE id <= (SELECT MAX(id) FROM replies) - ?", (MAX_ROWS,))
        except (sqlite3.Error, OSError) as exc:
            log.warning("feedback not stored in %s: %s", self.path, exc)
            return False
        return True

    def unanswered(self, limit: int = 20) -> list[Gap]:
        """Open questions with 'no' replies (not handled since last asked), grouped by question, newest first.
        Empty if the store is unreadable."""
        if not self.path.exists():
            return []
        try:
            with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=TIMEOUT_SECONDS)) as db:
                handled = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'handled'").fetchone()
                rows = db.execute(_OPEN_GAPS.format(handled=_NOT_HANDLED if handled else ""), (int(limit),)).fetchall()
        except (sqlite3.Error, OSError) as exc:
            log.warning("feedback not readable from %s: %s", self.path, exc)
            return []
        return [Gap(question, count, last, key, tuple(_ids(shown))) for question, count, last, key, shown in rows]

    def mark_handled(self, keys: list[str] | tuple[str, ...], reason: str) -> bool:
        """Take these questions (by `Gap.key`) off the open list, saying why (one of HANDLED_REASONS). False, after
        a logged warning, if the store cannot be written."""
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        try:
            with closing(self._connect()) as db, db:
                db.executemany("INSERT INTO handled VALUES (?, ?, ?) ON CONFLICT(question_key) DO UPDATE SET "
                               "reason = excluded.reason, handled_at = excluded.handled_at",
                               [(key, reason, now) for key in keys])
        except (sqlite3.Error, OSError) as exc:
            log.warning("feedback not updated in %s: %s", self.path, exc)
            return False
        return True


# The newest 'no' reply of each question gives its wording and the passages shown; a handled mark at or after it
# keeps the question off the list. (A store from before `handled` existed has no such table: then none are.)
_OPEN_GAPS = """
WITH asked AS (
    SELECT question_key, COUNT(*) AS n, MAX(id) AS newest FROM replies WHERE answered = 0 GROUP BY question_key
)
SELECT r.question, a.n, r.created_at, a.question_key, r.passage_ids
FROM asked a JOIN replies r ON r.id = a.newest {handled}
ORDER BY r.created_at DESC, r.id DESC LIMIT ?
"""

_NOT_HANDLED = ("WHERE NOT EXISTS (SELECT 1 FROM handled h WHERE h.question_key = a.question_key "
                "AND h.handled_at >= r.created_at)")


def _ids(text: str) -> list[str]:
    try:
        ids = json.loads(text)
    except ValueError:
        return []
    return [str(i) for i in ids] if isinstance(ids, list) else []


def _retention_days() -> int:
    """NETS_SEARCH_FEEDBACK_DAYS; a value that cannot be read is logged and the default used (feedback never
    stops a search)."""
    try:
        return engine_settings().feedback_days
    except NetsSearchError as exc:
        log.warning("%s; keeping replies %d days", exc, EngineSettings.feedback_days)
        return EngineSettings.feedback_days


def _days_ago(days: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - days * 86400))
