"""Golden questions: the labelled-question file an editor keeps beside the pages (one JSON object a line: an id, the
question, and either the phrases the answering passage holds or "out_of_scope": true) and reading it.

Scoring a retriever on them is golden_report.py; the check after each build, golden_check.py; the page's editing of
the file (a reader's unanswered question added as a to-do, then finished by an editor), golden_file.py.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from nets_search.corpus.files import read_inside, relative_name
from nets_search.errors import CorpusError, EvaluationError
from nets_search.jsonl import json_lines

GOLDEN_FILE_NAME = "golden-questions.jsonl"  # the editors' own file in a corpus folder
GOLDEN_KEYS = frozenset({"id", "question", "expect", "out_of_scope", "note", "todo"})
MAX_GOLDEN_BYTES = 5_000_000  # a golden-question file; thousands of questions take a few hundred KB


@dataclass(frozen=True)
class GoldenQuestion:
    id: str
    question: str
    expect: tuple[tuple[str, ...], ...] = ()  # alternatives; each one a set of phrases that must all appear
    out_of_scope: bool = False
    line: int = 0


_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"'})


def fold(text: str) -> str:
    """Text as phrases are compared: NFKC, curly quotes made straight, case-folded, whitespace runs as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold().split())


def passage_matches(text: str, expect: Sequence[Sequence[str]]) -> bool:
    """True when every phrase of at least one alternative appears in `text` (see `fold`)."""
    folded = fold(text)
    return any(all(fold(phrase) in folded for phrase in alternative) for alternative in expect)


def load_golden(path: Path, folder: Path | None = None) -> list[GoldenQuestion]:
    """Read a golden-question JSONL file. Blank lines are ignored; anything malformed raises EvaluationError.

    The file is read as a corpus file is (corpus_files.read_inside): a regular file inside `folder`, opened without
    blocking, at most MAX_GOLDEN_BYTES; each line within `jsonl.json_line`'s limits. Without `folder` (a file named on
    the command line) a link is followed to the file the person chose, which is then read the same way."""
    path = Path(path)
    questions: list[GoldenQuestion] = []
    seen: dict[str, int] = {}
    read_as = Path(os.path.realpath(path)) if folder is None and os.path.lexists(path) else path
    text = _golden_text(path, read_as, read_as.parent if folder is None else Path(folder))
    for number, record in json_lines(path, text):
        if is_pending(record):
            continue
        question = _golden_question(record, f"{path}:{number}", number)
        if question.id in seen:
            raise EvaluationError(f"{path}:{number}: id '{question.id}' is already used on line {seen[question.id]}")
        seen[question.id] = number
        questions.append(question)
    if not questions:
        raise EvaluationError(f"{path}: no questions in the file")
    return questions


def _golden_text(path: Path, read_as: Path, folder: Path) -> str:
    """The text of a golden-question file (`path` as given, `read_as` the file to open), read with `read_inside`
    (no pipe waited on, no link out of `folder` followed, at most MAX_GOLDEN_BYTES); EvaluationError naming the
    file as given otherwise."""
    if not os.path.lexists(read_as):
        raise EvaluationError(f"{path}: file not found")
    if read_as.is_dir():
        raise EvaluationError(f"{path}: is a folder, not a JSONL file")
    try:
        data = read_inside(read_as, folder, MAX_GOLDEN_BYTES, "a golden-question file")
    except CorpusError as exc:  # "<name>: why", the name relative to `folder`: said here with the path given
        raise EvaluationError(f"{path}: {str(exc).removeprefix(relative_name(read_as, folder) + ': ')}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise EvaluationError(f"{path}: not valid UTF-8 text") from None


def is_pending(record: object) -> bool:
    """A question an editor added from readers' feedback but has not yet given its answer phrases (a "todo" note
    and an empty "expect"): kept in the file, left out of every figure until it is filled in."""
    return isinstance(record, dict) and "todo" in record and record.get("expect") == [] and not record.get("out_of_scope")


def _golden_question(record: object, where: str, number: int) -> GoldenQuestion:
    if not isinstance(record, dict):
        raise EvaluationError(f"{where}: each line must be a JSON object")
    unknown = sorted(set(record) - GOLDEN_KEYS)
    if unknown:
        raise EvaluationError(f"{where}: unknown key '{unknown[0]}' (allowed: {', '.join(sorted(GOLDEN_KEYS))})")
    query_id, question = record.get("id"), record.get("question")
    if not isinstance(query_id, (str, int)) or isinstance(query_id, bool) or str(query_id).strip() == "":
        raise EvaluationError(f"{where}: needs an 'id' (a string)")
    if not isinstance(question, str) or not question.strip():
        raise EvaluationError(f"{where}: needs a non-empty 'question'")
    out_of_scope = record.get("out_of_scope", False)
    if not isinstance(out_of_scope, bool):
        raise EvaluationError(f"{where}: 'out_of_scope' must be true or false")
    has_expect = "expect" in record
    if out_of_scope and has_expect:
        raise EvaluationError(f"{where}: a question is either out of scope or has 'expect', not both")
    if not out_of_scope and not has_expect:
        raise EvaluationError(f"{where}: needs 'expect' (a list of phrase lists) or \"out_of_scope\": true")
    expect = _expectations(record["expect"], where) if has_expect else ()
    return GoldenQuestion(str(query_id), question, expect, out_of_scope, number)


def _expectations(value: object, where: str) -> tuple[tuple[str, ...], ...]:
    """'expect' must be a non-empty list of alternatives, each a non-empty list of non-empty phrases."""
    shape = f"{where}: 'expect' must be a list of alternatives, each a list of phrases, e.g. [[\"flushing\", \"face\"]]"
    if not isinstance(value, list) or not value:
        raise EvaluationError(shape)
    alternatives = []
    for alternative in value:
        if not isinstance(alternative, list) or not alternative:
            raise EvaluationError(shape)
        if not all(isinstance(phrase, str) and phrase.strip() for phrase in alternative):
            raise EvaluationError(f"{where}: every phrase in 'expect' must be a non-empty string")
        alternatives.append(tuple(alternative))
    return tuple(alternatives)
