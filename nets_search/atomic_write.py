"""Replacing a whole file so that a reader finds the old one or the new one, never part of either: for the files
written outside an index version (the editors' golden questions, evaluation figures). Index files have their own
writer (store.write_file), inside the build's lock and write guard."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

NEW_FILE_MODE = 0o644


def replace_file(path: Path, data: bytes, suffix: str = ".tmp") -> None:
    """`data` as the whole of `path`: written to a new file beside it (created exclusively under a random name, so
    a link or another file put where it goes is never written through), flushed to disk and renamed over `path`,
    which keeps its permissions (a new file gets NEW_FILE_MODE). On any failure (a full disk, a read-only
    folder) the new file is removed, `path` is as it was, and the OSError is raised as it came."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
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
