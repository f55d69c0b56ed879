"""Editing the golden-question file from the page: a question readers said was not answered is added as a to-do
(an empty "expect" and a "todo" note), and an editor later finishes it with the phrase its answer must contain, or
marks it out of scope. Each change rewrites the file beside and renames it over (atomic_write.replace_file), so a
build reading it never sees half a file; every other line is kept byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from pathlib import Path
from typing import Iterator

from nets_search.atomic_write import replace_file
from nets_search.corpus.files import read_inside
from nets_search.errors import CorpusError
from nets_search.evaluate.golden import MAX_GOLDEN_BYTES, is_pending
from nets_search.jsonl import json_line

GOLDEN_TODO = "editor: fill in 'expect' with phrases the answering passage must contain, or set \"out_of_scope\": true"


def question_key(question: str) -> str:
    """Questions that differ only in case, spacing and punctuation count as one: a golden file holds each once,
    and the feedback store counts readers' replies to it together."""
    return " ".join(re.findall(r"[^\W_]+", question.lower()))


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
            record = json_line(line)  # within the limits a build reads the file with (jsonl.json_line)
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
