"""JSON Lines read within limits, whatever a line holds: a batch of questions, a golden-question file, a BEIR
dataset, the golden answers a build records.

A line is read (`read_lines`) and parsed (`json_line`) only within the size, nesting and number limits below, each
checked in time linear in the line, so no line can exhaust memory, Python's stack or the int conversion.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import BinaryIO, Iterator

from nets_search.errors import EvaluationError

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


def json_line(line: str, raw: bytes | None = None) -> object:
    """The JSON value of one line (`raw`: the same line as bytes, if the caller has them), parsed only within the
    limits: arrays and objects nested at most MAX_DEPTH deep (checked before parsing, so Python's stack is never at
    risk) and integers of at most MAX_NUMBER_DIGITS digits. Anything else raises ValueError saying what, in words.
    The line's length is the caller's to check (MAX_LINE_BYTES, or the file's own limit)."""
    if nests_too_deep(line.encode("utf-8", "surrogatepass") if raw is None else raw):
        raise ValueError(f"arrays or objects nested more than {MAX_DEPTH} deep")
    try:
        return json.loads(line, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg})") from None
    except RecursionError:  # a safety net behind the nesting check
        raise ValueError("nested too deep to read") from None


def _bounded_int(digits: str) -> int:
    """json's reading of an integer, refusing one longer than MAX_NUMBER_DIGITS."""
    if len(digits) - digits.startswith("-") > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number of more than {MAX_NUMBER_DIGITS} digits")
    return int(digits)


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


def json_lines(path: Path, text: str | None = None) -> Iterator[tuple[int, object]]:
    """(line number, parsed value) for each non-blank line of a JSONL file used in an evaluation (`text`: its
    contents, when the caller has read them within its own limits; otherwise the whole file is read, as a BEIR
    dataset's is). A file that cannot be read, or a line that is not JSON within `json_line`'s limits, raises
    EvaluationError naming the file and line."""
    if text is None:
        text = _read_text(path)
    return _parsed_lines(path, text)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvaluationError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise EvaluationError(f"{path}: is a folder, not a JSONL file") from None
    except UnicodeDecodeError:
        raise EvaluationError(f"{path}: not valid UTF-8 text") from None


def _parsed_lines(path: Path, text: str) -> Iterator[tuple[int, object]]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json_line(line)
        except ValueError as exc:
            raise EvaluationError(f"{path}:{number}: {exc}") from None
        yield number, value


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
