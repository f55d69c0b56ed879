"""Loading the corpus: a folder of Markdown/text pages (front matter, titles; unreadable files named, files that are
not pages named as ignored), or a BEIR-style JSONL file. Splitting pages into passages is passages.py.

Everything here is a pure function of the files: no model, no index.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import yaml

from .errors import CorpusError
from .text import sha256_text
from .types import Page

PAGE_SUFFIXES = (".md", ".markdown", ".txt")
SETTINGS_SUFFIXES = (".yaml", ".yml", ".jsonl")  # the glossary, page settings and labelled questions, at the top
MAX_FILE_BYTES = 5_000_000


def is_settings_file(name: str) -> bool:
    """The glossary, page settings and labelled-question files the build reads beside the pages (not pages)."""
    return name.lower().endswith(SETTINGS_SUFFIXES)


def count_pages(names) -> int:
    """How many of an index's corpus files are pages (its manifest lists the settings files too)."""
    return sum(not is_settings_file(name) for name in names)


@dataclass(frozen=True)
class LoadReport:
    pages: tuple[Page, ...]
    warnings: tuple[str, ...] = ()
    bad_files: tuple[str, ...] = ()  # pages that could not be read (only when skip_bad_files)


# --------------------------------------------------------------------------- loading


def load_corpus(path: Path, skip_bad_files: bool = False) -> LoadReport:
    """Pages from a folder of .md/.txt files or from a JSONL file. Raises CorpusError on bad input."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: corpus not found")
    if path.is_file():
        if path.suffix != ".jsonl":
            raise CorpusError(f"{path}: a corpus is a folder of .md/.txt pages or a .jsonl file")
        pages, warnings, bad = list(_pages_from_jsonl(path)), [], []
    else:
        pages, warnings, bad = _pages_from_folder(path, skip_bad_files)
    pages = [p for p in pages if _has_content(p, warnings)]
    if not pages:
        raise CorpusError(f"{path}: the corpus has no pages with text (add .md or .txt files)")
    _check_unique_ids(pages, path)
    return LoadReport(tuple(pages), tuple(warnings), tuple(bad))


def _walk(folder: Path) -> tuple[list[Path], list[str]]:
    """(page files, warnings): page files under `folder`, sorted; names starting with '.' or '_' are ignored.

    A page-named entry that is not a folder is listed even if it cannot be read (a dangling or looping link), so
    that reading it names it; a linked folder is named in a warning and not followed."""
    found: list[Path] = []
    warnings: list[str] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(d for d in dirs if (Path(root) / d).is_symlink() and not d.startswith((".", "_"))):
            rel = (Path(root) / name).relative_to(folder).as_posix()
            warnings.append(f"skipped {rel}: a link to a folder; links to folders are not followed")
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")) and not (Path(root) / d).is_symlink())
        for name in sorted(files):
            if name.startswith((".", "_")):
                continue
            if not name.lower().endswith(PAGE_SUFFIXES):
                if not (root == str(folder) and is_settings_file(name)):
                    rel = (Path(root) / name).relative_to(folder).as_posix()
                    warnings.append(f"ignored {rel}: not a page (pages are {', '.join(PAGE_SUFFIXES)} files)")
                continue
            file = Path(root) / name
            if not file.is_dir():
                found.append(file)
    return found, warnings


def _pages_from_folder(folder: Path, skip_bad_files: bool) -> tuple[list[Page], list[str], list[str]]:
    """(pages, warnings, bad files). Every page is read before anything fails, so one build names every bad
    file at once (an editor fixes them in one round, not one per build)."""
    pages: list[Page] = []
    problems: list[CorpusError] = []
    bad: list[str] = []
    files, warnings = _walk(folder)
    for file in files:
        try:
            pages.append(read_page(file, folder))
        except CorpusError as exc:
            problems.append(exc)
            bad.append(file.relative_to(folder).as_posix())
    if problems and not skip_bad_files:
        if len(problems) == 1:
            raise problems[0]
        raise CorpusError(f"{len(problems)} files cannot be read: " + "; ".join(str(e) for e in problems))
    warnings += [f"skipped {exc}" for exc in problems]
    return pages, warnings, bad


def read_page(file: Path, folder: Path) -> Page:
    rel = file.relative_to(folder).as_posix()
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CorpusError(
                f"{rel}: file is {size / 1e6:.1f} MB, over the {MAX_FILE_BYTES / 1e6:.0f} MB limit for one page"
            )
        raw = file.read_bytes()
    except OSError as exc:
        if file.is_symlink():
            raise CorpusError(f"{rel}: a link that leads nowhere (a loop or a missing file)") from None
        raise CorpusError(f"{rel}: cannot be read ({exc.strerror or exc})") from None
    if b"\x00" in raw:
        raise CorpusError(f"{rel}: looks like a binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{rel}: not valid UTF-8 text (byte {exc.start}); re-save it as UTF-8") from None
    doc_id = rel.rsplit(".", 1)[0]
    meta, body = split_front_matter(text, rel)
    kind = "text" if file.suffix.lower() == ".txt" else "markdown"
    title = str(meta.get("title") or (_first_h1(body) if kind == "markdown" else "") or _title_from_name(file.stem))
    return Page(
        doc_id=doc_id,
        title=title.strip(),
        body=body,
        kind=kind,
        content_hash=sha256_text(rel, text),
        source=str(meta.get("source") or ""),
        reviewed=str(meta.get("reviewed") or ""),
        path=rel,
        publisher=str(meta.get("publisher") or ""),
    )


def split_front_matter(text: str, name: str) -> tuple[dict, str]:
    """YAML front matter between '---' lines at the top of a page, if present."""
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            try:
                meta = yaml.safe_load("\n".join(lines[1:i])) or {}
            except yaml.YAMLError as exc:
                line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 2
                raise CorpusError(f"{name}: malformed front matter near line {line}") from None
            if not isinstance(meta, dict):
                raise CorpusError(f"{name}: front matter must be 'key: value' lines")
            return meta, "\n".join(lines[i + 1 :])
    raise CorpusError(f"{name}: front matter starts with '---' but has no closing '---'")


def _pages_from_jsonl(file: Path) -> Iterator[Page]:
    with file.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise CorpusError(f"{file.name}:{number}: not valid UTF-8 text") from None
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{file.name}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict) or "_id" not in record or "text" not in record:
                raise CorpusError(f"{file.name}:{number}: each line needs '_id' and 'text'")
            meta = record.get("metadata") or {}
            doc_id, title, text = str(record["_id"]), str(record.get("title") or ""), str(record["text"])
            yield Page(
                doc_id=doc_id,
                title=title or doc_id,
                body=text,
                kind="text",
                content_hash=sha256_text(doc_id, title, text, json.dumps(meta, sort_keys=True)),
                source=str(meta.get("url") or meta.get("source") or "") if isinstance(meta, dict) else "",
                path=f"{file.name}#{doc_id}",
            )


def _has_content(page: Page, warnings: list[str]) -> bool:
    if page.body.strip():
        return True
    warnings.append(f"skipped {page.path or page.doc_id}: empty page")
    return False


def _check_unique_ids(pages: list[Page], path: Path) -> None:
    seen: dict[str, Page] = {}
    for page in pages:
        first = seen.setdefault(page.doc_id, page)
        if first is not page:
            names = f"{first.path} and {page.path}" if first.path != page.path else str(path)
            raise CorpusError(f"{names}: two pages share the id '{page.doc_id}'; rename one of them")


def _first_h1(body: str) -> str:
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def _title_from_name(stem: str) -> str:
    return stem.replace("-", " ").replace("_", " ").strip().capitalize()
