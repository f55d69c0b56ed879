"""Reading the files of a corpus folder without trusting them: pages, the glossary, page settings and labelled
questions are taken only from regular files inside the folder, opened without blocking, and their YAML is parsed
without anchors or aliases.

The corpus folder is edited by people and synced from elsewhere, so it may hold what no page is: a link to
/etc/passwd, a named pipe (reading one blocks forever, holding the build lock), a device, a socket, a file name
that is not UTF-8, or a few hundred bytes of YAML that expand to gigabytes ("billion laughs"). Each is refused
with one line naming it (CorpusError); nothing outside the folder is opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

from nets_search.errors import CorpusError

MAX_YAML_SIZE = 100_000  # characters of front matter, bytes of a YAML file: a parse takes a fraction of a second
MAX_YAML_DEPTH = 50  # nesting levels (pages and glossaries use two)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_SPECIAL_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)
_OUTSIDE = "a link to a file outside the corpus folder; the corpus takes only files inside it"
_SWAPPED = "replaced by another file while it was being opened; refused (build again if it was being edited)"


# --------------------------------------------------------------------------- names


def safe_name(name: str) -> str:
    """A file name as it can be printed on one line: bytes that are not UTF-8 (which Python keeps as lone
    surrogates) and control characters become backslash escapes, e.g. 'caf\\xe9.md'."""
    raw = name.encode("utf-8", "surrogateescape") if _has_surrogates(name) else name.encode("utf-8")
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _has_surrogates(name: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in name)


def relative_name(path: Path, folder: Path) -> str:
    """`path` relative to the corpus folder, printable (see `safe_name`)."""
    return safe_name(Path(path).relative_to(folder).as_posix())


# --------------------------------------------------------------------------- what the corpus takes


def refusal(path: Path, folder: Path) -> str | None:
    """Why `path` is not taken as a file of the corpus in `folder`, or None when it is a regular file inside it
    (directly, or through links that stay inside). Looks at the file with lstat/stat only: nothing is opened."""
    return _look(path, folder)[0]


def _look(path: Path, folder: Path) -> tuple[str | None, os.stat_result | None]:
    """(`refusal`'s answer, the stat of the file a reader would get: the link's target for a link inside)."""
    if _has_surrogates(Path(path).relative_to(folder).as_posix()):
        return "the file name is not valid UTF-8; rename the file", None
    try:
        info = os.lstat(path)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})", None
    if stat.S_ISLNK(info.st_mode):
        if not _inside(os.path.realpath(path), os.path.realpath(folder)):
            return _OUTSIDE, None
        try:
            info = os.stat(path)
        except OSError:
            return "a link that leads nowhere (a loop or a missing file)", None
    return _not_regular(info.st_mode), info


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _not_regular(mode: int) -> str | None:
    for test, kind in _SPECIAL_KINDS:
        if test(mode):
            return f"{kind}, not a regular file; the corpus takes only regular files"
    return None if stat.S_ISREG(mode) else "not a regular file; the corpus takes only regular files"


def read_inside(path: Path, folder: Path, max_bytes: int, what: str) -> bytes:
    """The bytes of a regular file inside `folder` (see `refusal`), at most `max_bytes` of them (`what` names the
    limit in the message: "one page"). The file is opened without blocking and without following a last link (its
    resolved path is opened), then checked again on the open handle: it must be the very file the check looked at
    (same device and inode) and still inside the folder, so a file, or a folder on its path, swapped for a pipe or
    a link out after the check is refused too."""
    name = relative_name(path, folder)
    root = os.path.realpath(folder)
    why, checked, real = _checked(path, folder, root)
    if why:
        raise CorpusError(f"{name}: {why}")
    try:
        handle = os.open(real, _OPEN_FLAGS)
    except OSError as exc:
        raise CorpusError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(handle)
        why = _not_regular(info.st_mode) or _swapped(handle, info, checked, path, root)
        if why:
            raise CorpusError(f"{name}: {why}")
        return _read_regular(handle, info, name, max_bytes, what)
    except OSError as exc:
        raise CorpusError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(handle)


def _checked(path: Path, folder: Path, root: str) -> tuple[str | None, os.stat_result | None, str]:
    """The check before a file is opened: (why it is refused or None, the stat it was checked by, its resolved
    path, which is what is opened)."""
    why, info = _look(path, folder)
    real = os.path.realpath(path)
    if not why and not _inside(real, root):  # became a link since `_look` looked
        why = _OUTSIDE
    return why, info, real


def _swapped(handle: int, opened: os.stat_result, checked: os.stat_result, path: Path, root: str) -> str | None:
    """_SWAPPED when the open file is not the one the check looked at (another device or inode: a folder on its
    path became a link out between the check and the open) or is no longer inside the folder."""
    if (opened.st_dev, opened.st_ino) != (checked.st_dev, checked.st_ino):
        return _SWAPPED
    return None if _inside(_opened_path(handle, path), root) else _SWAPPED


def _opened_path(handle: int, path: Path) -> str:
    """Where the file open as `handle` is now: the kernel's own answer on Linux, else `path` resolved again."""
    try:
        return os.readlink(f"/proc/self/fd/{handle}")
    except OSError:
        return os.path.realpath(path)


def _read_regular(handle: int, info: os.stat_result, name: str, max_bytes: int, what: str) -> bytes:
    if info.st_size > max_bytes:
        raise CorpusError(f"{name}: file is {_size(info.st_size)}, over the {_size(max_bytes, 0)} limit for {what}")
    chunks, left = [], max_bytes + 1
    while left > 0 and (chunk := os.read(handle, min(left, 1 << 20))):
        chunks.append(chunk)
        left -= len(chunk)
    data = b"".join(chunks)
    if len(data) > max_bytes:  # grew since fstat
        raise CorpusError(f"{name}: file is over the {_size(max_bytes, 0)} limit for {what}")
    return data


def _size(count: int, digits: int = 1) -> str:
    return f"{count / 1e6:.{digits}f} MB" if count >= 1_000_000 else f"{count / 1e3:.{digits}f} KB"


def corpus_question_files(corpus: Path) -> list[Path]:
    """The labelled-question files of a corpus folder (its top-level *.jsonl files) that may be opened: regular
    files inside it. A build names the others (`load_corpus`); every reader of the questions lists them here."""
    corpus = Path(corpus)
    if not corpus.is_dir():
        return []
    return [path for path in sorted(corpus.glob("*.jsonl")) if refusal(path, corpus) is None]


# --------------------------------------------------------------------------- YAML


class _PlainYamlLoader(yaml.SafeLoader):
    """SafeLoader without anchors and aliases (with them, 500 bytes can stand for gigabytes: pages and glossaries
    never need them) and with a nesting limit (a deep '[[[[…' would exhaust Python's stack)."""

    _depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, "anchor or alias", event.start_mark)
        if self._depth >= MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(None, None, "too deep", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(text: str, name: str, malformed: str, first_line: int = 1):
    """Parse YAML text from the file `name` (its first line is line `first_line` of the file). Raises CorpusError
    in one line: "{name}: {malformed} on line N: what is wrong there" for broken YAML, or what was refused and
    where (its `line` and `reason` name them apart)."""
    if len(text) > MAX_YAML_SIZE:
        raise CorpusError(f"{name}: {len(text):,} characters of YAML, over the {MAX_YAML_SIZE:,} limit")
    loader = _PlainYamlLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise _yaml_message(exc, name, malformed, first_line) from None
    except (ValueError, OverflowError) as exc:  # a date that does not exist ("2024-13-45")
        why = str(exc).splitlines()[0]
        raise CorpusError(f"{name}: {malformed} ({why})", reason=f"a value cannot be read ({why})") from None
    finally:
        loader.dispose()


def _yaml_message(exc: yaml.YAMLError, name: str, malformed: str, first_line: int) -> CorpusError:
    """The error of broken YAML, with the file's line to blame and what is wrong there in plain words."""
    mark, reason = _yaml_fault(exc)
    line = first_line + (mark.line if mark is not None else 0)
    if reason == "anchor or alias":
        return CorpusError(f"{name}: line {line} uses a YAML anchor or alias ('&' or '*'), which is not accepted; "
                           "write the value out in full", line=line, reason=_ANCHOR)
    if reason == "too deep":
        reason = f"values are nested deeper than {MAX_YAML_DEPTH} levels"
        return CorpusError(f"{name}: line {line} nests values deeper than {MAX_YAML_DEPTH} levels", line=line,
                           reason=reason)
    return CorpusError(f"{name}: {malformed} on line {line}: {reason}", line=line, reason=reason)


_ANCHOR = "a YAML anchor or alias ('&' or '*') is not accepted; write the value out in full"
_OPENERS = {"while parsing a flow sequence": "a '[' is not closed with ']'",
            "while parsing a flow mapping": "a '{' is not closed with '}'",
            "while scanning a simple key": "a line has no ':' between its name and its value"}


def _yaml_fault(exc: yaml.YAMLError):
    """(the mark of the line to blame, the fault in plain words). PyYAML marks where it gave up, which for an
    unclosed quote or bracket is the end of the front matter; the line that opened it is the one to fix."""
    problem, context = str(getattr(exc, "problem", "") or ""), str(getattr(exc, "context", "") or "")
    where, opened = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    if problem in ("anchor or alias", "too deep"):
        return where, problem
    if context == "while scanning a quoted scalar" and "end of stream" in problem:
        return opened or where, "a quote is not closed"
    if context in _OPENERS and opened is not None:
        return opened, _OPENERS[context]
    if "'\\t'" in problem:
        return where, "a tab is used for spacing; YAML takes only spaces"
    if problem == "mapping values are not allowed here":
        return where, "a ':' where none is expected; check the indentation, or put the value in quotes"
    if context == "while parsing a block mapping" or context == "while parsing a block collection":
        return where, "the indentation does not line up with the lines above"
    if problem.startswith("could not determine a constructor for the tag"):
        return where, "a '!' tag is not accepted; write the value as plain text"
    return where, f"the YAML cannot be read here ({problem or exc.__class__.__name__})"


def load_yaml_file(path: Path, folder: Path, malformed: str):
    """A YAML file inside the corpus folder (the glossary, page.yaml), read with `read_inside` and `load_yaml`."""
    data = read_inside(path, folder, MAX_YAML_SIZE, "a YAML file")
    name = relative_name(path, folder)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{name}: not valid UTF-8 text (byte {exc.start}); re-save it as UTF-8") from None
    return load_yaml(text, name, malformed)
