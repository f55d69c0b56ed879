"""The index folder's versions: naming, opening, publishing (the switch of CURRENT, current.py), pruning and
rolling back; the build lock; and a failed write turned into one line with the half-written version removed.
(The folder's file names: layout.py; a version's manifest and checksums: manifest_file.py; what is inside a version:
passage_store.py, vectors.py, lexical.py; the embedding cache beside them: embedding_cache.py.)

A version is opened only after CURRENT, its manifest and its files are checked (current.py, manifest_file.py); anything
else is damage, reported in one line that never quotes a file.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import shutil
import sqlite3
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from nets_search.atomic_write import fsync_dir, write_all
from nets_search.errors import BuildLockedError, IndexMissingError, IndexWriteError, NetsSearchError
from nets_search.index import vectors
from nets_search.index.current import (ROLLBACK_HINT, current_version, is_version_folder, point_current, read_current,
                                       remove_partial_pointers)
from nets_search.index.layout import LOCK_FILE, STAGING_PREFIX, VECTOR_FILES, VERSIONS_DIR, staging_path, version_dir
from nets_search.index.manifest_file import REBUILD_HINT, check_compatible, read_manifest, verify_checksums
from nets_search.index.manifest_schema import VERSION_NAME
from nets_search.settings import EngineSettings, keep_versions
from nets_search.types import KeptVersion, Manifest

log = logging.getLogger(__name__)

KEEP_VERSIONS = EngineSettings.keep_versions  # the default; NETS_SEARCH_KEEP_VERSIONS sets it (settings.py)
LOCK_HOLDER = re.compile(r"pid \d{1,10}")


# --------------------------------------------------------------------------- naming and opening versions


def new_version_name() -> str:
    """Names sort in the order they were made (to the nanosecond), which `prune` relies on to keep the newest."""
    now = time.time_ns()
    stamp = time.strftime("v%Y%m%dT%H%M%S", time.gmtime(now // 1_000_000_000))
    return f"{stamp}.{now % 1_000_000_000:09d}-{uuid.uuid4().hex[:6]}"


def staging_dir(index_dir: Path, version: str) -> Path:
    """A new, empty folder where `version` is written before `publish` makes it a version."""
    folder = staging_path(index_dir, version)
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def current_manifest(index_dir: Path) -> Manifest:
    """The manifest of the version in use, without loading anything else. Raises IndexMissingError."""
    version = read_current(index_dir)
    if version is None:
        raise IndexMissingError(f"no index in {index_dir}; {REBUILD_HINT}")
    return read_manifest(version_dir(index_dir, version))


def open_current(index_dir: Path, expect_model: str | None = None) -> tuple[Manifest, Path]:
    """The manifest and folder of the version in use, after checking format, model and checksums."""
    version = read_current(index_dir)
    if version is None:
        raise IndexMissingError(f"no index in {index_dir}; {REBUILD_HINT}")
    return open_folder(version_dir(index_dir, version), expect_model)


def open_folder(folder: Path, expect_model: str | None = None) -> tuple[Manifest, Path]:
    """The manifest of a version folder (the version in use, or one staged by a build), checked as above."""
    manifest = read_manifest(folder)
    check_compatible(manifest, expect_model)
    verify_checksums(folder, manifest)
    return manifest, folder


# --------------------------------------------------------------------------- writing and switching


def publish(index_dir: Path, staged: Path, version: str) -> None:
    """Make a fully written, verified staging folder the version in use: two renames, the second atomic."""
    final = version_dir(index_dir, version)
    for path in staged.rglob("*"):
        if path.is_file():
            _fsync_file(path)
    os.replace(staged, final)
    fsync_dir(final.parent)
    _switch_current(index_dir, version)


def _switch_current(index_dir: Path, version: str) -> None:
    """Point CURRENT at `version` by one atomic rename (what a build and a rollback both do); engines that name
    the current version outside the folder (Qdrant aliases) follow."""
    point_current(index_dir, version)
    _outside_folder(version_dir(index_dir, version), lambda engine, files: engine.switched_to(files))


def discard_version(index_dir: Path, version: str) -> None:
    """Remove what a failed build wrote for `version` (staged or switched-in folder), unless it is in use."""
    _delete_version(staging_path(index_dir, version))
    if current_version(index_dir) != version:
        _delete_version(version_dir(index_dir, version))
    remove_partial_pointers(index_dir)


def prune(index_dir: Path, keep: int | None = None) -> None:
    """Delete unfinished staging folders (and pointers: a build killed in the middle) and all but the newest `keep`
    versions (default: NETS_SEARCH_KEEP_VERSIONS; the current one always kept)."""
    keep = _versions_to_keep() if keep is None else keep
    root = Path(index_dir) / VERSIONS_DIR
    remove_partial_pointers(index_dir)
    if not root.is_dir():
        return
    current = current_version(index_dir)
    for stale in root.glob(f"{STAGING_PREFIX}*"):
        _delete_version(stale)
    finished = sorted((p for p in root.iterdir() if not p.name.startswith(".")), key=lambda p: p.name)
    for old in finished[:-keep]:
        if old.name != current:
            _delete_version(old)


def _versions_to_keep() -> int:
    """The setting, or the default with a warning when it cannot be read: a build already published must not fail
    over it, and keeping the default loses nothing."""
    try:
        return keep_versions()
    except NetsSearchError as exc:
        log.warning("%s; keeping %d versions", exc, KEEP_VERSIONS)
        return KEEP_VERSIONS


def _delete_version(folder: Path) -> None:
    """Delete a version folder, and what it keeps outside it (a Qdrant server's collections). If those cannot be
    deleted now (the server is down), the folder keeps just the files that name them, and the next prune tries
    again."""
    if not folder.is_dir():
        return
    others = [other / name for other in folder.parent.iterdir() if other.is_dir() and other != folder
              for name in VECTOR_FILES]
    if _outside_folder(folder, lambda engine, files: engine.release(files, others)):
        shutil.rmtree(folder, ignore_errors=True)
        return
    for path in folder.iterdir():
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.name not in VECTOR_FILES:
            path.unlink(missing_ok=True)


def _outside_folder(folder: Path, step) -> bool:
    """What a version keeps outside its folder (a Qdrant server's collections and aliases) follows a switch or a
    deletion: `step` of the engine that keeps it (vectors.engine_keeping; a no-op for any other). If the server
    cannot be reached the version on disk still switches, with a warning. True if done."""
    files = [folder / name for name in VECTOR_FILES]
    try:
        step(vectors.engine_keeping(files), files)
    except NetsSearchError as exc:
        log.warning("%s", exc)
        return False
    return True


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


@contextmanager
def writing_version(index_dir: Path, version: str | None = None, retry: str = REBUILD_HINT) -> Iterator[None]:
    """A failed write (full disk, read-only folder) becomes one clear message, and the half-written version is
    removed at once (it would take space a retry needs); the version in use is never touched."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        if version is not None:
            discard_version(index_dir, version)
        raise _write_failure(index_dir, exc, retry) from None
    except NetsSearchError as exc:  # e.g. a Qdrant server that cannot be reached: its half-written collections go too
        if version is not None:
            discard_version(index_dir, version)
            raise IndexWriteError(f"{exc}; the index in use is unchanged") from None
        raise


def _write_failure(index_dir: Path, exc: OSError | sqlite3.Error, retry: str) -> IndexWriteError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    try:
        reason += f"; {shutil.disk_usage(index_dir).free / 1e6:.1f} MB free"
    except OSError:
        pass
    full = getattr(exc, "errno", None) == errno.ENOSPC or getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return IndexWriteError(
        f"could not write the index in {index_dir} ({reason}); the index in use is unchanged; "
        f"{'free some space, then ' if full else ''}{retry}"
    )


# --------------------------------------------------------------------------- build lock


@contextmanager
def build_lock(index_dir: Path, retry: str = REBUILD_HINT) -> Iterator[None]:
    """One build (or rollback) at a time. flock is released by the kernel if the holder dies, so no stale locks.
    Written with unbuffered calls, so a full disk fails here, in one line, and not later when the file closes."""
    index_dir = Path(index_dir)
    with writing_version(index_dir, retry=retry):
        index_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(index_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(fd) or "another process"
            raise BuildLockedError(f"another build is running ({holder}); wait for it to finish") from None
        with writing_version(index_dir, retry=retry):
            os.ftruncate(fd, 0)
            write_all(fd, f"pid {os.getpid()}".encode(), offset=0)
        yield
    finally:
        os.close(fd)


def _lock_holder(fd: int, patience: float = 0.5) -> str:
    """The holder writes its pid just after taking the lock: a build refused in between waits a moment for it.
    Only a "pid N" line is shown: nothing else from the file reaches a message."""
    deadline = time.monotonic() + patience
    while True:
        holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
        if LOCK_HOLDER.fullmatch(holder):
            return holder
        if time.monotonic() > deadline:
            return ""
        time.sleep(0.02)


# --------------------------------------------------------------------------- versions kept, and rollback


def _version_folders(index_dir: Path) -> list[Path]:
    """Finished version folders (not staging ones, not links), oldest first."""
    root = Path(index_dir) / VERSIONS_DIR
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if VERSION_NAME.fullmatch(p.name) and is_version_folder(p)),
                  key=lambda p: p.name)


def kept_versions(index_dir: Path, check_files: bool = True) -> list[KeptVersion]:
    """Every finished version on disk, oldest first, with why it cannot be used if it cannot (its manifest, and
    with `check_files` its files' checksums)."""
    kept = []
    for folder in _version_folders(index_dir):
        try:
            manifest = open_folder(folder)[0] if check_files else read_manifest(folder)
        except NetsSearchError as exc:
            kept.append(KeptVersion(folder.name, None, str(exc)))
        else:
            kept.append(KeptVersion(folder.name, manifest))
    return kept


def list_versions(index_dir: Path) -> list[Manifest]:
    """The finished versions kept on disk, oldest first (those whose manifest can be read and trusted)."""
    return [k.manifest for k in kept_versions(index_dir, check_files=False) if k.manifest is not None]


def rollback(index_dir: Path, version: str | None = None) -> str:
    """Switch the version in use to `version` (default: the newest whole version older than the current one, or
    the newest whole one if CURRENT is damaged), after checking it is whole; one atomic rename, as a build's
    switch. Also how a damaged CURRENT is repaired. Returns the version now in use."""
    index_dir = Path(index_dir)
    with build_lock(index_dir, retry=ROLLBACK_HINT):
        version = _rollback_target(index_dir, version)
        with writing_version(index_dir, retry=ROLLBACK_HINT):
            _switch_current(index_dir, version)
    return version


def _rollback_target(index_dir: Path, version: str | None) -> str:
    names = [folder.name for folder in _version_folders(index_dir)]
    if version is not None:
        if version not in names:
            raise IndexMissingError(f"{index_dir}: no version '{version}' (kept: {', '.join(names) or 'none'})")
        open_folder(version_dir(index_dir, version))  # format and checksums: never switch to a damaged version
        return version
    current = current_version(index_dir)
    for name in reversed([n for n in names if current is None or n < current]):
        try:
            open_folder(version_dir(index_dir, name))
        except NetsSearchError as exc:
            log.warning("not rolled back to %s: %s", name, exc)
            continue
        return name
    raise IndexMissingError(f"{index_dir}: no earlier version that is whole is kept to roll back to; {REBUILD_HINT}")
