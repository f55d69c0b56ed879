"""Answering a batch of questions, one JSON line in, one JSON line out, whatever a line holds.

Every input line gets exactly one output line: the answer, or `{"id": ..., "error": ...}` naming what is wrong
with that line. Nothing a line contains (invalid UTF-8 or JSON, wrong types, lone surrogates, NUL, a BOM, CRLF,
megabytes of text, arrays nested thousands deep, numbers of thousands of digits) can stop the batch or lose the
lines after it: a line is parsed only within the size, nesting and number limits below.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Iterable, Iterator

from .errors import QueryError

_SURROGATES = re.compile("[\ud800-\udfff]")
MAX_SHOWN = 200  # characters of a bad line's question echoed back in its error
MAX_LINE_BYTES = 16 * 1024 * 1024  # a longer line is refused unparsed (a question is searched only in part anyway)
MAX_DEPTH = 64  # arrays and objects nested deeper are refused before json.loads could recurse that deep
# Numbers up to the lowest int-digit limit Python can be set to convert both ways whatever the setting (640 digits).
MAX_NUMBER_DIGITS = sys.int_info.str_digits_check_threshold

# A JSON string, escapes included: brackets inside it do not nest.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_OPENING_BRACKETS = frozenset(b"[{")


def clean(text: str) -> str:
    """Text that can always be written as UTF-8: lone surrogates become U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def to_json_line(value: dict) -> str:
    """One line of JSON, valid UTF-8 whatever the strings in `value` held."""
    return clean(json.dumps(value, ensure_ascii=False))


def parse_line(raw: bytes, number: int) -> tuple[str, str]:
    """(id, question) of one batch line; QueryError naming the problem if it has none."""
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryError(f"line {number}: not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise QueryError(f"line {number}: empty line")
    record = load_within_limits(raw, text, number)
    if not isinstance(record, dict):
        raise QueryError(f"line {number}: each line must be a JSON object with 'id' and 'question'")
    query_id = record.get("id", record.get("_id"))
    question = record.get("question", record.get("text"))
    if query_id is None or isinstance(query_id, (dict, list)):
        raise QueryError(f"line {number}: needs an 'id' (or '_id')")
    if not isinstance(question, str):
        raise QueryError(f"line {number}: needs a 'question' (or 'text') that is a string")
    return clean(str(query_id)), question


def load_within_limits(raw: bytes, text: str, number: int) -> object:
    """The JSON value of line `number` (`text` is `raw` decoded); QueryError naming the line and the limit it
    passes or its JSON error. Size and nesting are checked before json.loads, long numbers while it reads them."""
    if len(raw) > MAX_LINE_BYTES:
        raise QueryError(f"line {number}: longer than {MAX_LINE_BYTES:,} bytes ({len(raw):,})")
    if nests_too_deep(raw):
        raise QueryError(f"line {number}: arrays or objects nested more than {MAX_DEPTH} deep")
    try:
        return json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise QueryError(f"line {number}: not valid JSON ({exc.msg})") from None
    except QueryError as exc:
        raise QueryError(f"line {number}: {exc}") from None
    except Exception as exc:  # a safety net behind the limits: one line's failure never ends the batch
        raise QueryError(f"line {number}: cannot be read ({type(exc).__name__})") from None


def nests_too_deep(raw: bytes) -> bool:
    """Whether a JSON line's arrays and objects nest more than MAX_DEPTH deep, counted from its brackets outside
    strings in one pass that stops as soon as the limit is passed."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:  # cannot nest deeper than it opens
        return False
    depth = 0
    for bracket in _JSON_STRING.sub(b'""', raw).translate(None, _NOT_BRACKETS):
        depth += 1 if bracket in _OPENING_BRACKETS else -1
        if depth > MAX_DEPTH:
            return True
    return False


def _bounded_int(digits: str) -> int:
    """json's reading of an integer, refusing one longer than MAX_NUMBER_DIGITS."""
    if len(digits) - digits.startswith("-") > MAX_NUMBER_DIGITS:
        raise QueryError(f"a number of more than {MAX_NUMBER_DIGITS} digits")
    return int(digits)


def _line_id(raw: bytes) -> object:
    """The id of a bad line, if one can be read from it at all (so its error can be matched to it)."""
    try:
        record = load_within_limits(raw, raw.decode("utf-8", errors="replace"), 0)
    except QueryError:
        return None
    value = record.get("id", record.get("_id")) if isinstance(record, dict) else None
    return clean(str(value)) if value is not None and not isinstance(value, (dict, list)) else None


def answer_lines(search, lines: Iterable[bytes], k: int = 5, mode: str = "hybrid") -> Iterator[tuple[dict, bool]]:
    """(output record, answered?) for each input line, in order. `search` is `Searcher.search`."""
    for number, raw in enumerate(lines, 1):
        raw = raw.rstrip(b"\r\n")
        try:
            query_id, question = parse_line(raw, number)
        except QueryError as exc:
            yield {"id": _line_id(raw), "error": str(exc)}, False
            continue
        try:
            yield search(question, k=k, mode=mode).to_dict(query_id), True
        except QueryError as exc:
            yield {"id": query_id, "query": clean(question[:MAX_SHOWN]), "error": str(exc)}, False
