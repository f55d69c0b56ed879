"""Replacing a whole file so that a reader finds the old one or the new one, never part of either: the one writer
for every file written whole (an index version's manifest and glossary, CURRENT, the editors' golden questions,
evaluation figures, the golden check's record)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

NEW_FILE_MODE = 0o644
PARTIAL_SUFFIX = ".tmp"


def replace_file(path: Path, data: bytes, suffix: str = PARTIAL_SUFFIX) -> None:
    """`data` as the whole of `path`: written to a new file beside it (`.<name>.<random><suffix>`, created
    exclusively, so a link or another file put where it goes is never written through), flushed to disk and
    renamed over `path`, which keeps its permissions (a new file gets NEW_FILE_MODE). On any failure (a full
    disk, a read-only folder) the new file is removed, `path` is as it was, and the OSError is raised as it came,
    for the caller to turn into one line."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    try:
        try:
            os.fchmod(fd, mode)
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, path)
    except BaseException:
        try:
            os.unlink(partial)
        except OSError:
            pass
        raise


def partials_of(path: Path, suffix: str = PARTIAL_SUFFIX) -> list[Path]:
    """The new files `replace_file` left beside `path` when its process was killed before the rename."""
    path = Path(path)
    return sorted(path.parent.glob(f".{path.name}.*{suffix}"))


def write_all(fd: int, data: bytes, offset: int | None = None) -> None:
    """All of `data` to an open file, at its current position or (with `offset`) at that byte, which a short
    write would otherwise leave unsaid."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view) if offset is None else os.pwrite(fd, view, offset + len(data) - len(view))
        view = view[written:]


def fsync_dir(path: Path) -> None:
    """A folder's entries (a rename into it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
