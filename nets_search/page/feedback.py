"""'Did this answer your question?' replies, stored locally in SQLite, and the editors' list of gaps.

A reply records the question (normalised, cut to 1,000 characters, with obvious identifiers masked: NHS numbers,
e-mail addresses, phone numbers, dates), the passage ids that were shown, yes or no, and a UTC timestamp; no
session id, IP address or user agent. Free text can still hold personal health information: the store is capped
(rows per day, rows in all, oldest out) and keeps replies for NETS_SEARCH_FEEDBACK_DAYS (settings.py) only.

Storing a reply is best effort: a locked, read-only or missing database logs one warning and returns False.
The page never waits more than `TIMEOUT_SECONDS` for the database and never fails a search because of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from nets_search.atomic_write import replace_file
from nets_search.corpus.files import read_inside
from nets_search.errors import CorpusError, NetsSearchError
from nets_search.evaluate.golden import MAX_GOLDEN_BYTES, is_pending, json_line
from nets_search.settings import EngineSettings, engine_settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 0.5
MAX_QUESTION_CHARS = 1000
MAX_ROWS = 20_000  # the whole store; the oldest replies go first
MAX_ROWS_PER_DAY = 2_000


_MASK_WINDOW = 2 * MAX_QUESTION_CHARS  # the first stretch masked, then doubled while masks leave it too short
_MASK_MARGIN = 256  # masked characters past the cut: more than an identifier takes (an address is at most 254)
MIN_PHONE_DIGITS = 9  # a national number: 0 (or a bracketed area code) and at least 8 more digits
MIN_INTERNATIONAL_DIGITS = 8  # +CC and a national number of at least 7 digits (Iceland, Estonia)

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?")
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH_NUMBER = r"(?:0?[1-9]|1[0-2])"
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]|20)\d\d"
# A two-digit year, not a dose or a count: "12 Mar 61" is a date, "from 3 May 20 mg a day" is not.
# Nor a decimal or a range ("1 May 12.5 mg", "3 May 10-20 mg"), nor a lab value ("2 May 45 umol/24h").
_SHORT_YEAR = (r"\d\d(?![.,]\d|\s?(?:-|to\b)\s?\d|\s?(?:%|(?:mg|mcg|[uμ]g|ng|pg|g|kg|ml|dl|l|[uμnpm]?mol|mmol|iu"
               r"|units?|mm|cm|x|times?|doses?|cycles?|tablets?|days?|weeks?|wks?|months?|years?|yrs?|hours?|hrs?|h"
               r"|mins?|minutes?)\b))")
_DATE_GAP = r"(?:\s+|\s?[-/.]\s?)"  # between the parts of a written date: 12 Mar 1961, 12-Mar-1961, 12/Mar/61
_DD = r"(?:0[1-9]|[12]\d|3[01])"
_MM = r"(?:0[1-9]|1[0-2])"
_DOTS = ".．。｡"  # the full stop and its look-alikes (NFKC leaves the ideographic full stop 。 as it is)
_ATS = "@＠﹫"
_NOT_THE = r"(?!(?:the|a|an|this|that|my|your|his|her|its|our|their)\b)"  # "look at the dot on my skin"
_TLD = r"(?:com|org|net|edu|gov|nhs|info|biz|io|uk|ie|au|nz|ca|de|fr|es|nl|ch|se|dk|fi|pl|pt|jp|cn|br|za|eu)"

# An e-mail address, also with "(at)"/"[dot]" or a space round the @, and with look-alike @ and dots.
_EMAIL = re.compile(rf"(?<![\w+\-{_DOTS}])[\w+\-{_DOTS}]+\s?(?:[{_ATS}]|[(\[]at[)\]])\s?[\w-]+"
                    rf"(?:(?:[{_DOTS}]|\s?[(\[]dot[)\]]\s?)[\w-]+)+", re.IGNORECASE)
# An address spelt out without brackets, only where it reads as one: a name, "at", a name, then "dot" and names
# ending in a top-level domain: "jane at example dot com", "jo at nhs dot net" ("look at the dot on my skin" stays).
_SPELT_EMAIL = re.compile(rf"(?<![\w+\-{_DOTS}])[\w+\-{_DOTS}]+(?:\s+at\s+|\s?[{_ATS}]\s?){_NOT_THE}[\w-]+"
                          rf"(?:\s+dot\s+[\w-]+)*\s+dot\s+{_TLD}\b", re.IGNORECASE)
# An ISO date: 1961-03-12, 1961/3/12.
_ISO_DATE = re.compile(rf"\b{_YEAR}([-/.]){_MONTH_NUMBER}\1{_DAY}\b")
# A numeric date, day or month first, one separator throughout: 12/03/1961, 03-12-1961, 12.03.61. A two-digit
# year only after / or ., so "every 3-6-12 months" stays.
_NUMERIC_DATE = re.compile(rf"\b(?:{_DAY}([/.]){_DAY}\1(?:\d{{4}}|\d\d)|{_DAY}-{_DAY}-\d{{4}})\b")
# A written date, day first: 12 March 1961, 3rd Mar. 1961, 12th of March, 1961, 12-Mar-1961, 12 Mar 61 (a day and
# month alone stay).
_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}{_ORDINAL}(?:\s+of\s+|{_DATE_GAP}){_MONTH}(?:,?\s+|{_DATE_GAP})"
                             rf"(?:{_YEAR}|{_SHORT_YEAR})\b", re.IGNORECASE)
# A written date, month first: March 12, 1961; Mar. 12th 1961.
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+{_DAY}{_ORDINAL},?\s+{_YEAR}\b", re.IGNORECASE)
# A run of digit groups that may be a phone number: +CC, a bracketed code or digits, then groups (bracketed or
# not) with a short run of spaces, dots, hyphens or slashes between them (020/7946 0958, 07700 - 900123).
# Possessive, so each digit is read once; _phone decides.
_DIGIT_RUN = re.compile(r"(?<![\d+])(?:\+\s?\d{1,3}|\(\+?\d{1,5}\)|\d++)(?:[ ./-]{0,4}+(?:\(\d{1,5}\)|\d++))*+")
# A last group of one digit after a space: the count in "+44 20 7946 0958 2 times a day", not part of the number.
_LONE_LAST_DIGIT = re.compile(r"[ ./-]{0,4} \d$")
# Eight digits that read as a date: 12031961 (day or month first), 19610312 (year first).
_COMPACT_DATE = re.compile(rf"(?<![\d+])(?<!\d[.,])(?:{_DD}{_MM}{_YEAR}|{_MM}{_DD}{_YEAR}|{_YEAR}{_MM}{_DD})"
                           r"(?![\d]|[.,]\d)")
# Ten digits grouped 3-3-4, one separator throughout or none: an NHS number's layout (and a US phone number's).
_THREE_THREE_FOUR = re.compile(r"(?<![\d+])\d{3}([ .-]?)\d{3}\1\d{4}(?!\d)")


def _phone(match: re.Match) -> str:
    """'[phone]' for a digit run laid out as a phone number: from +, 0 or a bracket, and enough digits."""
    run = match.group()
    lone_digit = _LONE_LAST_DIGIT.search(run)
    number, after = (run[:lone_digit.start()], lone_digit.group()) if lone_digit else (run, "")
    digits = sum(char.isdigit() for char in number)
    if number.count("/") > 1:  # "05/2019-03/2021", "01/2019 - 06/2020": months of treatment, not a number to call
        return run
    if number.startswith("+"):
        return "[phone]" + after if digits >= MIN_INTERNATIONAL_DIGITS else run
    if number.startswith(("0", "(")):
        return "[phone]" + after if digits >= MIN_PHONE_DIGITS else run
    return run


def _nhs_number_or_phone(match: re.Match) -> str:
    """'[NHS number]' if the ten digits pass the NHS number's modulus 11 check, else '[phone]'."""
    digits = [int(char) for char in match.group() if char.isdigit()]
    remainder = sum(digit * weight for digit, weight in zip(digits, range(10, 1, -1))) % 11
    return "[NHS number]" if (11 - remainder) % 11 == digits[9] else "[phone]"


_IDENTIFIERS = (  # (pattern, mask or function giving it), applied in this order
    (_EMAIL, "[email]"),
    (_SPELT_EMAIL, "[email]"),
    (_ISO_DATE, "[date]"),
    (_NUMERIC_DATE, "[date]"),
    (_DAY_MONTH_YEAR, "[date]"),
    (_MONTH_DAY_YEAR, "[date]"),
    (_DIGIT_RUN, _phone),
    (_COMPACT_DATE, "[date]"),  # after phone numbers: the last eight digits of one are not a date
    (_THREE_THREE_FOUR, _nhs_number_or_phone),
)


def mask_identifiers(question: str) -> str:
    """The question as it may be stored: NFKC-normalised (full-width and look-alike characters as plain ones),
    whitespace runs as one space, NHS numbers, e-mail addresses, phone numbers and dates replaced by a
    placeholder, cut to MAX_QUESTION_CHARS. Doses, counts, grades and years alone are kept.

    The cut comes after masking, at least _MASK_MARGIN masked characters before the end of the stretch that was
    masked, so an identifier cut where that stretch ends (and so left unmasked) is never within what is kept."""
    text = " ".join(question.split())
    window = _MASK_WINDOW
    while True:
        masked = _masked(text[:window])
        if window >= len(text) or len(masked) >= MAX_QUESTION_CHARS + _MASK_MARGIN:
            return masked[:MAX_QUESTION_CHARS]
        window *= 2


def _masked(text: str) -> str:
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    for pattern, mask in _IDENTIFIERS:
        text = pattern.sub(mask, text)
    return text


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
CREATE TABLE IF NOT EXISTS daily (day TEXT PRIMARY KEY, replies INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Gap:
    """A question readers said was not answered: how often, and when last."""

    question: str
    count: int
    last_asked: str


def question_key(question: str) -> str:
    """Questions that differ only in case, spacing and punctuation count as one."""
    return " ".join(re.findall(r"[^\W_]+", question.lower()))


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
            db = self._connect()
            try:
                with db:
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


def golden_id(question: str) -> str:
    return "feedback-" + hashlib.sha256(question_key(question).encode("utf-8")).hexdigest()[:10]


def add_golden_question(path: Path, question: str) -> bool:
    """Add `question` to the end of the golden questions file (JSONL) as a to-do for editors. The file is
    rewritten beside and renamed over (atomic_write.replace_file): a full disk leaves it as it was, never half a line.

    The line has an empty `expect` list and a `todo` note: an editor fills in the phrases the answer must
    contain (or marks it out of scope) before it counts in an evaluation. Returns False if the question is
    already in the file. Raises OSError if the file cannot be written, CorpusError if it is not a regular file
    inside its folder.
    """
    path = Path(path)
    with _GOLDEN_WRITES:
        lines = _golden_lines(path)
        if question_key(question) in _keys_of(lines):
            return False
        line = {"id": golden_id(question), "question": " ".join(question.split()), "expect": [], "todo": GOLDEN_TODO}
        prefix = "\n" if lines and not lines[-1].endswith("\n") else ""
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, ("".join(lines) + prefix + json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
    return True


def _golden_records(lines: list[str]) -> Iterator[tuple[int, dict]]:
    """(line index, record) for each line of a golden file that holds a JSON object; the rest are left to
    `nets-search eval` to report, never stopping the page."""
    for number, line in enumerate(lines):
        try:
            record = json_line(line)  # within the limits a build reads the file with (golden.json_line)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield number, record


_GOLDEN_WRITES = threading.Lock()  # one read-and-rewrite of a golden file at a time (the page's sessions)


def _golden_lines(path: Path) -> list[str]:
    """The golden file's lines, read as the build reads a corpus file (corpus_files.read_inside): a regular file
    inside its folder, opened without blocking. A link out of the folder, a pipe or a device raises CorpusError,
    so the panel neither serves nor appends to what is not ours."""
    path = Path(path)
    if not os.path.lexists(path):
        return []
    data = read_inside(path, path.parent, MAX_GOLDEN_BYTES, "a golden-question file")
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        raise CorpusError(f"{path.name}: not UTF-8 text") from None


def _keys_of(lines: list[str]) -> set[str]:
    return {question_key(record["question"]) for _, record in _golden_records(lines)
            if isinstance(record.get("question"), str)}


def unfinished_golden_questions(path: Path) -> list[tuple[str, str]]:
    """(id, question) of the golden questions still waiting for an editor (golden.is_pending)."""
    return [(str(record.get("id")), str(record.get("question", "")))
            for _, record in _golden_records(_golden_lines(path)) if is_pending(record)]


def complete_golden_question(path: Path, question_id: str, phrase: str | None) -> bool:
    """Finish a to-do golden question: the phrase its answer must contain (a sentence of the passage the editor
    picked), or `None` for "our pages do not cover this" (out of scope). The file is rewritten beside and renamed
    over, so a build reading it never sees half a file; other lines are kept byte for byte. False if the question
    is no longer waiting."""
    path = Path(path)
    with _GOLDEN_WRITES:
        lines = _golden_lines(path)
        for number, record in _golden_records(lines):
            if not (record.get("id") == question_id and is_pending(record)):
                continue
            record.pop("todo")
            if phrase is None:
                record.pop("expect", None)
                record["out_of_scope"] = True
            else:
                record["expect"] = [[" ".join(phrase.split())]]
            lines[number] = json.dumps(record, ensure_ascii=False) + "\n"
            replace_file(path, "".join(lines).encode("utf-8"))
            return True
    return False
