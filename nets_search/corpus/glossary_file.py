"""Editing the corpus's glossary (`lay words: our words` lines) from the editor panel, line by line, so the file's
comments, order and blank lines stay as the editors wrote them.

An entry is a top-level `key: value` line, with any lines under it that continue its value (indented, or a
`- item` list). An edit replaces or removes those lines only, or appends one line. The new text is read back as
the build reads it before it is written (whole, atomically: atomic_write.replace_file), so the panel can never
leave a glossary the next build refuses."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from nets_search.atomic_write import replace_file
from nets_search.corpus.files import MAX_YAML_SIZE, load_yaml, read_inside
from nets_search.corpus.glossary import GLOSSARY_FILE
from nets_search.errors import CorpusError


MAX_TERM_CHARS = 60
MAX_EXPANSION_CHARS = 200
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 '’\-.,()/]*")
_YAML_WORDS = {"yes", "no", "true", "false", "on", "off", "null", "y", "n", "~"}


class GlossaryEditError(CorpusError):
    """An edit refused, in words for an editor (the file is unchanged)."""


@dataclass(frozen=True)
class Entry:
    """One entry as the file holds it: its lines are `lines[first:end]`."""

    term: str  # lower case, spaces single, as the search matches it
    expansion: str
    first: int
    end: int


def read_text(path: Path) -> str:
    """The glossary's text (empty if there is none), read as a corpus file: no link out, no pipe, within size."""
    if not os.path.lexists(path):
        return ""
    data = read_inside(path, path.parent, MAX_YAML_SIZE, "a YAML file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path.name}: not valid UTF-8 text (byte {exc.start}); re-save it as UTF-8") from None


def entries(text: str) -> list[Entry]:
    """The file's entries in file order. Raises CorpusError if the file does not read as a glossary."""
    lines = text.splitlines(keepends=True)
    found = []
    index = 0
    while index < len(lines):
        if not _is_key_line(lines[index]):
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end][:1] in (" ", "\t", "-") and lines[end].strip():
            end += 1
        found.append(_entry(lines, index, end))
        index = end
    return found


def _is_key_line(line: str) -> bool:
    return bool(line.strip()) and line[:1] not in (" ", "\t", "#", "-") and ":" in line


def _entry(lines: list[str], first: int, end: int) -> Entry:
    data = load_yaml("".join(lines[first:end]), GLOSSARY_FILE, "not a valid glossary line", first_line=first + 1)
    if not isinstance(data, dict) or len(data) != 1:
        raise CorpusError(f"{GLOSSARY_FILE}: line {first + 1} is not one 'lay words: our words' entry")
    ((term, value),) = data.items()
    if isinstance(value, list):
        value = " ".join(str(item) for item in value)
    return Entry(tidy(str(term)).lower(), tidy(str(value if value is not None else "")), first, end)


def tidy(text: str) -> str:
    """One line, single spaces: what an editor typed, as it is kept."""
    return " ".join(text.split())


def check_entry(term: str, expansion: str, existing: list[Entry], replacing: str | None = None,
                too_common: Callable[[str], bool] = lambda words: False) -> tuple[str, str]:
    """(term, expansion) tidied, or GlossaryEditError saying why not: an empty side, the same words on both
    sides, an entry already there (other than `replacing`), over-long sides, or an expansion `too_common` says
    most passages hold (it would find everything, so it helps no search)."""
    term, expansion = tidy(term).lower(), tidy(expansion)
    if not term or not expansion:
        raise GlossaryEditError("Fill in both sides: the readers' words and the words our pages use.")
    if term == expansion.lower():
        raise GlossaryEditError("The two sides are the same words: nothing would change.")
    if len(term) > MAX_TERM_CHARS or len(expansion) > MAX_EXPANSION_CHARS:
        raise GlossaryEditError(f"Keep the readers' words under {MAX_TERM_CHARS} characters and ours under "
                                f"{MAX_EXPANSION_CHARS}.")
    if any(entry.term == term for entry in existing if entry.term != replacing):
        raise GlossaryEditError(f"“{term}” is already in the list: change that entry instead.")
    if too_common(expansion):
        raise GlossaryEditError(f"The words “{expansion}” are on most of our pages, so they would not help a "
                                "search find the right one: use more particular words.")
    return term, expansion


def entry_line(term: str, expansion: str) -> str:
    return f"{_scalar(term)}: {_scalar(expansion)}\n"


def _scalar(text: str) -> str:
    """Plain when YAML reads it back as the same text; otherwise double-quoted (JSON's quoting is valid YAML)."""
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS and not text[0].isdigit():
        return text
    return json.dumps(text, ensure_ascii=False)


def with_entry(text: str, term: str, expansion: str, replacing: str | None = None) -> str:
    """`text` with the entry added at the end, or put where `replacing`'s lines were."""
    lines = text.splitlines(keepends=True)
    line = entry_line(term, expansion)
    old = _find(text, replacing) if replacing is not None else None
    if old is None:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += "\n"
        return "".join(lines) + line
    return "".join(lines[: old.first] + [line] + lines[old.end :])


def without_entry(text: str, term: str) -> str:
    old = _find(text, term)
    if old is None:
        raise GlossaryEditError(f"“{term}” is not in the list any more.")
    lines = text.splitlines(keepends=True)
    return "".join(lines[: old.first] + lines[old.end :])


def _find(text: str, term: str) -> Entry | None:
    return next((entry for entry in entries(text) if entry.term == term), None)


def edit_glossary(path: Path, edit: Callable[[str, list[Entry]], str]) -> None:
    """Read the glossary, apply `edit` (the text and its entries in, new text out), check the new text reads as a
    glossary, and replace the file in one rename. Raises GlossaryEditError or CorpusError (file unchanged), or
    OSError from the write (file unchanged)."""
    path = Path(path)
    text = read_text(path)
    new = edit(text, entries(text))
    try:
        entries(new)
        load_yaml(new, GLOSSARY_FILE, "not a valid glossary")
    except CorpusError as exc:  # never expected: the lines written are ones we made
        raise GlossaryEditError(f"The change was not saved: it would break {GLOSSARY_FILE} ({exc}).") from None
    replace_file(path, new.encode("utf-8"))


def add_entry(path: Path, term: str, expansion: str, too_common: Callable[[str], bool] = lambda words: False,
              replacing: str | None = None) -> tuple[str, str]:
    """Add (or, with `replacing`, change) one entry; returns it as written."""
    written: list[tuple[str, str]] = []

    def edit(text: str, found: list[Entry]) -> str:
        if replacing is not None and not any(entry.term == replacing for entry in found):
            raise GlossaryEditError(f"“{replacing}” is not in the list any more.")
        written.append(check_entry(term, expansion, found, replacing, too_common))
        return with_entry(text, *written[0], replacing=replacing)

    edit_glossary(path, edit)
    return written[0]


def remove_entry(path: Path, term: str) -> None:
    edit_glossary(path, lambda text, found: without_entry(text, term))
