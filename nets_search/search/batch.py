"""Answering a batch of questions, one JSON line in, one JSON line out, whatever a line holds.

Every input line gets exactly one output line: the answer, or `{"id": ..., "error": ...}` naming what is wrong
with that line. Nothing a line contains (invalid UTF-8 or JSON, wrong types, lone surrogates, NUL, a BOM, CRLF,
megabytes of text or gigabytes without a newline, arrays nested thousands deep, numbers of thousands of digits,
unterminated strings) can stop the batch or lose the lines after it: a line is read (`jsonl.read_lines`) and parsed
only within jsonl's size, nesting and number limits, each checked in time linear in the line. A failure while
answering a question is that line's error too; only a failure of the index itself (missing, damaged, built for
another model) stops the batch, in one line, since every later line would fail the same way.
"""

from __future__ import annotations

import json
import re
from typing import Iterable, Iterator

from nets_search import jsonl
from nets_search.errors import NetsSearchError, QueryError
from nets_search.jsonl import LongLine

_SURROGATES = re.compile("[\ud800-\udfff]")
MAX_SHOWN = 200  # characters of a bad line's question echoed back in its error


def clean(text: str) -> str:
    """Text that can always be written as UTF-8: lone surrogates become U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def to_json_line(value: dict) -> str:
    """One line of JSON, valid UTF-8 whatever the strings in `value` held."""
    return clean(json.dumps(value, ensure_ascii=False))


def parse_line(raw: bytes, number: int) -> tuple[str, str]:
    """(id, question) of one batch line; QueryError naming the problem if it has none."""
    if len(raw) > jsonl.MAX_LINE_BYTES:  # as jsonl.read_lines counts it: a BOM included
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
    passes or its JSON error (jsonl.json_line: size and nesting are checked before json.loads, long numbers while
    it reads them)."""
    if len(raw) > jsonl.MAX_LINE_BYTES:
        raise QueryError(f"line {number}: {_too_long(len(raw))}")
    try:
        return jsonl.json_line(text, raw)
    except ValueError as exc:
        raise QueryError(f"line {number}: {exc}") from None
    except Exception as exc:  # a safety net behind the limits: one line's failure never ends the batch
        raise QueryError(f"line {number}: cannot be read ({type(exc).__name__})") from None


def _too_long(size: int) -> str:
    return f"longer than {jsonl.MAX_LINE_BYTES:,} bytes ({size:,})"


def _line_id(raw: bytes) -> object:
    """The id of a bad line, if one can be read from it at all (so its error can be matched to it)."""
    try:
        record = load_within_limits(raw, raw.decode("utf-8", errors="replace"), 0)
    except QueryError:
        return None
    value = record.get("id", record.get("_id")) if isinstance(record, dict) else None
    return clean(str(value)) if value is not None and not isinstance(value, (dict, list)) else None


def answer_lines(search, lines: Iterable[bytes | LongLine], k: int = 5, mode: str = "hybrid") -> Iterator[tuple[dict, bool]]:
    """(output record, answered?) for each input line (as `jsonl.read_lines` gives them), in order. `search` is
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
