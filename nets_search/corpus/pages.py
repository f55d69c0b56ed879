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

from nets_search.corpus.files import load_yaml, read_inside, refusal, relative_name
from nets_search.errors import CorpusError, UnreadableFilesError
from nets_search.text import sha256_text
from nets_search.types import Page

PAGE_SUFFIXES = (".md", ".markdown", ".txt")
SETTINGS_SUFFIXES = (".yaml", ".yml", ".jsonl")  # the glossary, page settings and labelled questions, at the top
MAX_FILE_BYTES = 5_000_000
# A page id names the page in the index's manifest ("files"), whose schema (manifest_schema.py) takes 1 to 1,000
# characters: a longer or empty one is refused here, before anything is embedded, not as damage after the build.
MAX_PAGE_ID_CHARS = 1000
EMPTY_PAGE = "the page has no text"  # why a page with nothing but front matter or spaces is not published


def is_settings_file(name: str) -> bool:
    """The glossary, page settings and labelled-question files the build reads beside the pages (not pages)."""
    return name.lower().endswith(SETTINGS_SUFFIXES)


def count_pages(names) -> int:
    """How many of an index's corpus files are pages (its manifest lists the settings files too)."""
    return sum(not is_settings_file(name) for name in names)


@dataclass(frozen=True)
class Unreadable:
    """A file of the corpus that gives no page: it cannot be read, or it has no text. A build keeps the previous
    version of such a page (a broken save must not take a page off the site) and names it."""

    file: str  # its name in the corpus folder, printable
    doc_id: str  # the page id it would have ("" for a settings file: it is no page)
    reason: str  # what is wrong, in plain words
    line: int | None = None  # the line to look at, 1 being the file's first, when one is to blame


@dataclass(frozen=True)
class LoadReport:
    pages: tuple[Page, ...]
    warnings: tuple[str, ...] = ()
    bad_files: tuple[str, ...] = ()  # files that could not be read (only when skip_bad_files)
    unreadable: tuple[Unreadable, ...] = ()  # those files and the empty pages, each with why


# --------------------------------------------------------------------------- loading


def load_corpus(path: Path, skip_bad_files: bool = False) -> LoadReport:
    """Pages from a folder of .md/.txt files or from a JSONL file. Raises CorpusError on bad input; a file that
    cannot be read is only listed (`unreadable`) when `skip_bad_files`, an empty page always is."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: corpus not found")
    if path.is_file():
        if path.suffix != ".jsonl":
            raise CorpusError(f"{path}: a corpus is a folder of .md/.txt pages or a .jsonl file")
        pages, warnings, bad = list(_pages_from_jsonl(path)), [], []
    else:
        pages, warnings, bad = _pages_from_folder(path, skip_bad_files)
    unreadable = sorted(bad + [_empty(p) for p in pages if not p.body.strip()], key=lambda u: u.file)
    pages = [p for p in pages if p.body.strip()]
    if not pages:
        listed = "; ".join(describe(u) for u in unreadable)
        raise CorpusError(f"{path}: no page can be published: {listed}" if bad else
                          f"{path}: the corpus has no pages with text (add .md or .txt files)")
    _check_unique_ids(pages, path)
    return LoadReport(tuple(pages), tuple(warnings), tuple(u.file for u in bad), tuple(unreadable))


def describe(unreadable: Unreadable) -> str:
    """One file that gives no page, as a list names it: "octreotide.md — line 2: a quote is not closed"."""
    where = f"line {unreadable.line}: " if unreadable.line else ""
    return f"{unreadable.file} — {where}{unreadable.reason}"


def _empty(page: Page) -> Unreadable:
    return Unreadable(page.path or page.doc_id, page.doc_id, EMPTY_PAGE)


def _unreadable(exc: CorpusError, file: str, doc_id: str) -> Unreadable:
    """What `exc` says about `file`, apart: its line and the reason without the file's name before it."""
    reason = exc.reason or str(exc).removeprefix(f"{file}: ")
    return Unreadable(file, doc_id, reason, exc.line)


@dataclass(frozen=True)
class _Listing:
    """What a walk of the corpus folder found."""

    pages: tuple[Path, ...]  # page-named entries, to be read (or named when they cannot be)
    settings: tuple[Path, ...]  # the glossary, page settings and question files at the top, read by others
    warnings: tuple[str, ...]


def _walk(folder: Path) -> _Listing:
    """Page files under `folder`, sorted; names starting with '.' or '_' are ignored.

    A page-named entry that is not a folder is listed even if it cannot be read (a dangling or looping link, a
    pipe, a name that is not UTF-8), so that reading it names it; a linked folder is named in a warning and not
    followed, and so is a folder that cannot be listed."""
    pages: list[Path] = []
    settings: list[Path] = []
    warnings: list[str] = []

    def unlisted(exc: OSError) -> None:
        name = relative_name(Path(exc.filename), folder) if exc.filename else "a folder"
        warnings.append(f"skipped {name}: cannot be listed ({exc.strerror or exc})")

    for root, dirs, files in os.walk(folder, followlinks=False, onerror=unlisted):
        for name in sorted(d for d in dirs if (Path(root) / d).is_symlink() and not d.startswith((".", "_"))):
            rel = relative_name(Path(root) / name, folder)
            warnings.append(f"skipped {rel}: a link to a folder; links to folders are not followed")
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")) and not (Path(root) / d).is_symlink())
        for name in sorted(files):
            if name.startswith((".", "_")):
                continue
            file = Path(root) / name
            if name.lower().endswith(PAGE_SUFFIXES):
                pages.append(file)
            elif root == str(folder) and is_settings_file(name):
                settings.append(file)
            else:
                rel = relative_name(file, folder)
                warnings.append(f"ignored {rel}: not a page (pages are {', '.join(PAGE_SUFFIXES)} files)")
    return _Listing(tuple(pages), tuple(settings), tuple(warnings))


def _pages_from_folder(folder: Path, skip_bad_files: bool) -> tuple[list[Page], list[str], list[Unreadable]]:
    """(pages, warnings, bad files). Every page is read before anything fails, so one build names every bad
    file at once (an editor fixes them in one round, not one per build). The settings files beside the pages are
    only looked at (their readers open them): one that is a link out of the folder, a pipe and so on is named
    here like a bad page."""
    pages: list[Page] = []
    problems: list[CorpusError] = []
    bad: list[Unreadable] = []
    listing = _walk(folder)
    for file in listing.pages:
        try:
            pages.append(read_page(file, folder))
        except CorpusError as exc:
            problems.append(exc)
            bad.append(_unreadable(exc, relative_name(file, folder), _doc_id(file, folder)))
    for file in listing.settings:
        why = refusal(file, folder)
        if why:
            problems.append(CorpusError(f"{relative_name(file, folder)}: {why}"))
            bad.append(Unreadable(relative_name(file, folder), "", why))
    if problems and not skip_bad_files:
        if len(problems) == 1:
            raise UnreadableFilesError(str(problems[0]), line=problems[0].line, reason=problems[0].reason)
        raise UnreadableFilesError(f"{len(problems)} files cannot be read: " + "; ".join(str(e) for e in problems))
    return pages, list(listing.warnings), bad


def _doc_id(file: Path, folder: Path) -> str:
    return file.relative_to(folder).as_posix().rsplit(".", 1)[0]


def read_page(file: Path, folder: Path) -> Page:
    """One page file of the corpus folder; raises CorpusError naming it (see corpus_files.read_inside for the
    files that are refused before anything is read)."""
    raw = read_inside(file, folder, MAX_FILE_BYTES, "one page")
    rel, name = file.relative_to(folder).as_posix(), relative_name(file, folder)
    if b"\x00" in raw:
        line = _line_of(raw, raw.index(b"\x00"))
        raise CorpusError(f"{name}: looks like a binary file, not text", line=line,
                          reason="looks like a binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = _line_of(raw, exc.start)
        why = f"not valid UTF-8 text (byte {exc.start}); re-save it as UTF-8"
        raise CorpusError(f"{name}: not valid UTF-8 text on line {line} (byte {exc.start}); re-save it as UTF-8",
                          line=line, reason=why) from None
    doc_id = _doc_id(file, folder)
    why = page_id_problem(doc_id)
    if why:
        raise CorpusError(f"{name}: the page id (its path without the suffix) {why}; shorten its folder or file names")
    meta, body = split_front_matter(text, name)
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


def _line_of(raw: bytes, offset: int) -> int:
    """The line (1 being the first) that byte `offset` of a file is on."""
    return raw.count(b"\n", 0, offset) + 1


def split_front_matter(text: str, name: str) -> tuple[dict, str]:
    """YAML front matter between '---' lines at the top of a page, if present (no anchors or aliases: see
    corpus_files.load_yaml)."""
    if not text.startswith("---"):
        return {}, text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            meta = load_yaml("\n".join(lines[1:i]), name, "malformed front matter", first_line=2) or {}
            if not isinstance(meta, dict):
                raise CorpusError(f"{name}: front matter must be 'key: value' lines", line=2,
                                  reason="the front matter must be 'key: value' lines")
            return meta, "\n".join(lines[i + 1 :])
    raise CorpusError(f"{name}: front matter starts with '---' on line 1 but has no closing '---'", line=1,
                      reason="the front matter starts with '---' here but has no closing '---'")


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
            why = page_id_problem(doc_id)
            if why:
                raise CorpusError(f"{file.name}:{number}: the '_id' {why}")
            yield Page(
                doc_id=doc_id,
                title=title or doc_id,
                body=text,
                kind="text",
                content_hash=sha256_text(doc_id, title, text, json.dumps(meta, sort_keys=True)),
                source=str(meta.get("url") or meta.get("source") or "") if isinstance(meta, dict) else "",
                path=f"{file.name}#{doc_id}",
            )


def page_id_problem(doc_id: str) -> str | None:
    """Why `doc_id` cannot name a page in an index (the end of a sentence: "is empty"), or None."""
    if not doc_id.strip():
        return "is empty"
    if len(doc_id) > MAX_PAGE_ID_CHARS:
        return f"is {len(doc_id):,} characters, over the {MAX_PAGE_ID_CHARS:,} an index takes"
    return None


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
