"""Answering a batch of questions, one JSON line in, one JSON line out, whatever a line holds.

Every input line gets exactly one output line: the answer, or `{"id": ..., "error": ...}` naming what is wrong
with that line. Nothing a line contains (invalid UTF-8 or JSON, wrong types, lone surrogates, NUL, a BOM, CRLF,
megabytes of text or gigabytes without a newline, arrays nested thousands deep, numbers of thousands of digits,
unterminated strings) can stop the batch or lose the lines after it: a line is read (`read_lines`) and parsed only
within the size, nesting and number limits below, each checked in time linear in the line. A failure while
answering a question is that line's error too; only a failure of the index itself (missing, damaged, built for
another model) stops the batch, in one line, since every later line would fail the same way.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from itertools import accumulate
from typing import BinaryIO, Iterable, Iterator

from nets_search.errors import NetsSearchError, QueryError

_SURROGATES = re.compile("[\ud800-\udfff]")
MAX_SHOWN = 200  # characters of a bad line's question echoed back in its error
MAX_LINE_BYTES = 16 * 1024 * 1024  # a longer line is refused unparsed (a question is searched only in part anyway)
MAX_DEPTH = 64  # arrays and objects nested deeper are refused before json.loads could recurse that deep
# Numbers up to the lowest int-digit limit Python can be set to convert both ways whatever the setting (640 digits).
MAX_NUMBER_DIGITS = sys.int_info.str_digits_check_threshold

SKIP_CHUNK = 1 << 20  # the rest of a line past the limit is read past this much at a time, never kept

# Brackets outside strings, counted in time linear in the line and a few copies of it in memory (nests_too_deep).
_NOT_MARKS = bytes(byte for byte in range(256) if byte not in b'"[]{}')  # all but quotes and brackets go
_STRING = re.compile(rb'"[^"]*(?:"|\Z)')  # a string, once escapes are gone; an unterminated one runs to the end
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # each bracket's step in depth, as a signed byte
_PIECE = 1 << 16  # quotes and brackets taken at a time, so that re.sub's list of pieces stays small


def clean(text: str) -> str:
    """Text that can always be written as UTF-8: lone surrogates become U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def to_json_line(value: dict) -> str:
    """One line of JSON, valid UTF-8 whatever the strings in `value` held."""
    return clean(json.dumps(value, ensure_ascii=False))


def parse_line(raw: bytes, number: int) -> tuple[str, str]:
    """(id, question) of one batch line; QueryError naming the problem if it has none."""
    if len(raw) > MAX_LINE_BYTES:  # as read_lines counts it: a BOM included
        raise QueryError(f"line {number}: {_too_long(len(raw))}")
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
        raise QueryError(f"line {number}: {_too_long(len(raw))}")
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


def _too_long(size: int) -> str:
    return f"longer than {MAX_LINE_BYTES:,} bytes ({size:,})"


def nests_too_deep(raw: bytes) -> bool:
    """Whether a JSON line's arrays and objects nest more than MAX_DEPTH deep, counted from its brackets outside
    strings, in a few linear passes of C-level steps whatever the line holds (an unterminated string of escaped
    quotes included, over which one regular expression for strings and their escapes backtracks quadratically).

    Escapes first: a run of backslashes pairs up from its first (as a JSON parser reads it), so its pairs go, and
    then a backslash left before a quote escapes it, and goes with it. Then only quotes and brackets are kept, and
    strings (from a quote to the next, or to the end of the line) taken out a piece at a time. Past the point
    where a line stops being valid JSON the count may differ from a parser's, but json.loads never reads past it."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:  # cannot nest deeper than it opens
        return False
    marks = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_MARKS)
    depth, in_string = 0, False
    for start in range(0, len(marks), _PIECE):
        piece = marks[start : start + _PIECE]
        if in_string:  # a string begun in an earlier piece ends at this one's first quote
            end = piece.find(b'"')
            if end < 0:
                continue
            piece = piece[end + 1 :]
        in_string = piece.count(b'"') % 2 == 1
        steps = memoryview(_STRING.sub(b"", piece).translate(_STEPS)).cast("b")
        if max(accumulate(steps, initial=depth)) > MAX_DEPTH:
            return True
        depth += sum(steps)
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


@dataclass(frozen=True)
class LongLine:
    """A line longer than MAX_LINE_BYTES, read past without being kept: only its size is known."""

    size: int


def read_lines(stream: BinaryIO) -> Iterator[bytes | LongLine]:
    """The lines of a binary stream, each with its line ending, never holding more than MAX_LINE_BYTES (and a line
    ending) of one: a longer line, even gigabytes with no newline, is read past in chunks up to its newline and
    comes out as a LongLine."""
    limit = MAX_LINE_BYTES + 2  # room for "\r\n"; a longer piece with no newline is a line over the limit
    while line := stream.readline(limit):
        if len(line) < limit or line.endswith(b"\n"):
            yield line
            continue
        size, end = len(line), line[-2:]
        while not end.endswith(b"\n") and (chunk := stream.readline(SKIP_CHUNK)):
            size += len(chunk)
            end = (end + chunk[-2:])[-2:]
        yield LongLine(size - len(end) + len(end.rstrip(b"\r\n")) if end.endswith(b"\n") else size)


def answer_lines(search, lines: Iterable[bytes | LongLine], k: int = 5, mode: str = "hybrid") -> Iterator[tuple[dict, bool]]:
    """(output record, answered?) for each input line (as `read_lines` gives them), in order. `search` is
    `Searcher.search`. Any exception while answering one question is that line's error, named by its type (its
    text may quote the question or run over lines); a NetsSearchError about the index stops the batch."""
    for number, raw in enumerate(lines, 1):
        if isinstance(raw, LongLine):
            yield {"id": None, "error": f"line {number}: {_too_long(raw.size)}"}, False
            continue
        raw = raw.rstrip(b"\r\n")
        try:
            query_id, question = parse_line(raw, number)
        except QueryError as exc:
            yield {"id": _line_id(raw), "error": str(exc)}, False
            continue
        try:
            answer = search(question, k=k, mode=mode).to_dict(query_id)
        except QueryError as exc:
            error = f"line {number}: {exc}"
        except NetsSearchError as exc:  # about the index: every later line would fail the same way
            raise type(exc)(f"batch stopped at line {number}: {exc}") from None
        except Exception as exc:  # about this question only (its text is not shown: it may quote the line)
            error = f"line {number}: could not be answered ({type(exc).__name__})"
        else:
            yield answer, True
            continue
        yield {"id": query_id, "query": clean(question[:MAX_SHOWN]), "error": error}, False
