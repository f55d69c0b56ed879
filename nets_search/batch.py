"""Answering a batch of questions, one JSON line in, one JSON line out, whatever a line holds.

Every input line gets exactly one output line: the answer, or `{"id": ..., "error": ...}` naming what is wrong
with that line. Nothing a line contains (invalid UTF-8 or JSON, wrong types, lone surrogates, NUL, a BOM, CRLF,
megabytes of text) can stop the batch or lose the lines after it.
"""

from __future__ import annotations

import json
import re
from typing import Iterable, Iterator

from .errors import QueryError

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
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryError(f"line {number}: not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise QueryError(f"line {number}: empty line")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QueryError(f"line {number}: not valid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise QueryError(f"line {number}: each line must be a JSON object with 'id' and 'question'")
    query_id = record.get("id", record.get("_id"))
    question = record.get("question", record.get("text"))
    if query_id is None or isinstance(query_id, (dict, list)):
        raise QueryError(f"line {number}: needs an 'id' (or '_id')")
    if not isinstance(question, str):
        raise QueryError(f"line {number}: needs a 'question' (or 'text') that is a string")
    return clean(str(query_id)), question


def _line_id(raw: bytes) -> object:
    """The id of a bad line, if one can be read from it at all (so its error can be matched to it)."""
    try:
        record = json.loads(raw.decode("utf-8", errors="replace"))
        value = record.get("id", record.get("_id")) if isinstance(record, dict) else None
        return clean(str(value)) if value is not None and not isinstance(value, (dict, list)) else None
    except (ValueError, RecursionError):
        return None


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
