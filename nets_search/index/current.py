"""CURRENT, the one small file that names the version answering queries: read trusting nothing, and pointed at
another version by one atomic rename (what a build's publish and a rollback both do)."""

from __future__ import annotations

import errno
import logging
import os
import stat
import time
from pathlib import Path

from nets_search.atomic_write import fsync_dir, partials_of, replace_file
from nets_search.errors import IndexCorruptError
from nets_search.index.layout import CURRENT_FILE, version_dir
from nets_search.index.manifest_schema import VERSION_NAME

log = logging.getLogger(__name__)

ROLLBACK_HINT = "run: nets-search rollback"
MAX_POINTER_BYTES = 256


def read_current(index_dir: Path) -> str | None:
    """The version CURRENT names, or None when there is no CURRENT (no index yet). CURRENT must be a regular file
    (not a link, not a folder) of at most MAX_POINTER_BYTES of ASCII holding one version name, of a folder kept
    under versions/; anything else raises IndexCorruptError, whose message never quotes the file."""
    path = Path(index_dir) / CURRENT_FILE
    data = _pointer_bytes(path)
    if data is None:
        return None
    name = _pointer_name(path, data)
    if not is_version_folder(version_dir(index_dir, name)):
        raise _bad_pointer(path, "names a version that is not kept in versions/")
    return name


def current_version(index_dir: Path) -> str | None:
    """The name of the version in use, or None if there is none or CURRENT is damaged (`read_current` says why).
    Cheap: one small file read. What `Searcher.is_stale` and a build's clean-up compare against."""
    try:
        return read_current(index_dir)
    except IndexCorruptError:
        return None


def is_version_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)  # a real folder: not a link leading out of versions/
    except OSError:
        return False


def point_current(index_dir: Path, version: str) -> None:
    """CURRENT names `version` from now on: written beside and renamed over (atomic_write), then made durable."""
    index_dir = Path(index_dir)
    _set_aside_folder(index_dir / CURRENT_FILE)
    replace_file(index_dir / CURRENT_FILE, f"{version}\n".encode("ascii"))
    fsync_dir(index_dir)


def remove_partial_pointers(index_dir: Path) -> None:
    """What a process killed while writing CURRENT left beside it."""
    for partial in partials_of(Path(index_dir) / CURRENT_FILE):
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass


def _pointer_bytes(path: Path) -> bytes | None:
    try:  # no link followed; a FIFO does not block the open
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise _bad_pointer(path, "is a link" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _bad_pointer(path, "is not a file")
        return os.read(fd, MAX_POINTER_BYTES + 1)
    except OSError as exc:
        raise _bad_pointer(path, f"cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)


def _pointer_name(path: Path, data: bytes) -> str:
    if len(data) > MAX_POINTER_BYTES:
        raise _bad_pointer(path, f"is longer than {MAX_POINTER_BYTES} bytes")
    try:
        name = data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise _bad_pointer(path, "is not ASCII text") from None
    if not name:
        raise _bad_pointer(path, "is empty")
    if not VERSION_NAME.fullmatch(name):
        raise _bad_pointer(path, "does not hold one version name")
    return name


def _bad_pointer(path: Path, reason: str) -> IndexCorruptError:
    return IndexCorruptError(f"{path} {reason}; {ROLLBACK_HINT} (or nets-search build) to repair it")


def _set_aside_folder(path: Path) -> None:
    """A folder where CURRENT should be cannot be renamed over: it is moved aside (not deleted: it is not ours to
    judge), so that a build or a rollback repairs the index."""
    try:
        is_folder = stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return
    if is_folder:
        aside = path.with_name(f"{path.name}.damaged-{time.time_ns()}")
        os.rename(path, aside)
        log.warning("%s was a folder; moved aside to %s", path, aside.name)
