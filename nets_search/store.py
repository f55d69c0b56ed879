"""The index on disk: immutable version folders, a manifest with checksums, an atomic switch, a build lock, and
the versions kept for rollback. (What is inside a version: passage_store.py, vectors.py, lexical.py; the embedding
cache beside them: embedding_cache.py.)

    index/
      CURRENT                 name of the version that answers queries (replaced atomically)
      versions/<version>/     manifest.json, passages.sqlite, passage-vectors, sentence-vectors, lexical/
      cache/embeddings.sqlite vectors by (model key, hash of the embedded text)
      build.lock              held (flock) by the one running build
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


from . import vectors
from .errors import BuildLockedError, IndexCorruptError, IndexMismatchError, IndexMissingError, IndexWriteError, NetsSearchError
from .types import Manifest

log = logging.getLogger(__name__)

FORMAT_VERSION = 4  # 2: passages carry their analysed BM25 terms; 3: sentence vectors and spans; 4: page publisher
KEEP_VERSIONS = 2
REBUILD_HINT = "run: nets-search build"

PASSAGES_DB = "passages.sqlite"
VECTORS_FILE = "passage-vectors"  # written and read by vectors.py (the engine the manifest names)
SENTENCE_VECTORS_FILE = "sentence-vectors"
VECTOR_FILES = (VECTORS_FILE, SENTENCE_VECTORS_FILE)
CALIBRATION_FILE = "calibration.json"
LEXICAL_DIR = "lexical"
MANIFEST_FILE = "manifest.json"
GLOSSARY_FILE = "glossary.json"


# --------------------------------------------------------------------------- versions


def current_version(index_dir: Path) -> str | None:
    """The name of the version in use, or None. Cheap: one small file read."""
    try:
        name = (Path(index_dir) / "CURRENT").read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return name or None


def version_dir(index_dir: Path, version: str) -> Path:
    return Path(index_dir) / "versions" / version


def new_version_name() -> str:
    """Names sort in the order they were made (to the nanosecond), which `prune` relies on to keep the newest."""
    now = time.time_ns()
    stamp = time.strftime("v%Y%m%dT%H%M%S", time.gmtime(now // 1_000_000_000))
    return f"{stamp}.{now % 1_000_000_000:09d}-{uuid.uuid4().hex[:6]}"


def staging_dir(index_dir: Path, version: str) -> Path:
    folder = Path(index_dir) / "versions" / f".tmp-{version}"
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def read_manifest(folder: Path) -> Manifest:
    try:
        data = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        return Manifest(**data)
    except FileNotFoundError:
        raise IndexMissingError(f"{folder}: no manifest; {REBUILD_HINT}") from None
    except (ValueError, TypeError):
        raise IndexCorruptError(f"{folder / MANIFEST_FILE}: unreadable manifest; {REBUILD_HINT}") from None


def current_manifest(index_dir: Path) -> Manifest:
    """The manifest of the version in use, without loading anything else. Raises IndexMissingError."""
    version = current_version(index_dir)
    if version is None:
        raise IndexMissingError(f"no index in {index_dir}; {REBUILD_HINT}")
    return read_manifest(version_dir(index_dir, version))


def open_current(index_dir: Path, expect_model: str | None = None) -> tuple[Manifest, Path]:
    """The manifest and folder of the version in use, after checking format, model and checksums."""
    version = current_version(index_dir)
    if version is None:
        raise IndexMissingError(f"no index in {index_dir}; {REBUILD_HINT}")
    return open_folder(version_dir(index_dir, version), expect_model)


def open_folder(folder: Path, expect_model: str | None = None) -> tuple[Manifest, Path]:
    """The manifest of a version folder (the version in use, or one staged by a build), checked as above."""
    manifest = read_manifest(folder)
    check_compatible(manifest, expect_model)
    verify_checksums(folder, manifest)
    return manifest, folder


def check_compatible(manifest: Manifest, expect_model: str | None) -> None:
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index uses format {manifest.format_version}, this version reads format {FORMAT_VERSION}; "
            f"{REBUILD_HINT}"
        )
    if expect_model and f"{manifest.model}@{manifest.model_hash}" != expect_model:
        raise IndexMismatchError(
            f"the index was built with model {manifest.model}@{manifest.model_hash}, this install has "
            f"{expect_model}; {REBUILD_HINT}"
        )


def file_checksums(folder: Path) -> dict[str, str]:
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST_FILE):
        out[path.relative_to(folder).as_posix()] = _sha256_file(path)
    return out


def verify_checksums(folder: Path, manifest: Manifest) -> None:
    for name, expected in manifest.checksums.items():
        path = folder / name
        if not path.is_file():
            raise IndexCorruptError(f"{path}: index file missing; {REBUILD_HINT}")
        if _sha256_file(path) != expected:
            raise IndexCorruptError(f"{path}: index file is corrupted (checksum mismatch); {REBUILD_HINT}")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(folder: Path, manifest: Manifest) -> None:
    path = folder / MANIFEST_FILE
    path.write_text(json.dumps(dataclasses.asdict(manifest), indent=2, sort_keys=True), encoding="utf-8")
    _fsync_file(path)


def publish(index_dir: Path, staged: Path, version: str) -> None:
    """Make a fully written, verified staging folder the version in use: two renames, the second atomic."""
    final = version_dir(index_dir, version)
    for path in staged.rglob("*"):
        if path.is_file():
            _fsync_file(path)
    os.replace(staged, final)
    _fsync_dir(final.parent)
    _switch_current(index_dir, version)


def _switch_current(index_dir: Path, version: str) -> None:
    """Point CURRENT at `version` by one atomic rename (what a build and a rollback both do); engines that name
    the current version outside the folder (Qdrant aliases) follow."""
    pointer = Path(index_dir) / "CURRENT.tmp"
    pointer.write_text(version + "\n")
    _fsync_file(pointer)
    os.replace(pointer, Path(index_dir) / "CURRENT")
    _fsync_dir(Path(index_dir))
    _outside_folder(vectors.switched_to, version_dir(index_dir, version))


def discard_version(index_dir: Path, version: str) -> None:
    """Remove what a failed build wrote for `version` (staged or switched-in folder), unless it is in use."""
    _delete_version(Path(index_dir) / "versions" / f".tmp-{version}")
    if current_version(index_dir) != version:
        _delete_version(version_dir(index_dir, version))
    (Path(index_dir) / "CURRENT.tmp").unlink(missing_ok=True)


def prune(index_dir: Path, keep: int = KEEP_VERSIONS) -> None:
    """Delete unfinished staging folders and all but the newest `keep` versions (the current one always kept)."""
    root = Path(index_dir) / "versions"
    if not root.is_dir():
        return
    current = current_version(index_dir)
    for stale in root.glob(".tmp-*"):
        _delete_version(stale)
    finished = sorted((p for p in root.iterdir() if not p.name.startswith(".")), key=lambda p: p.name)
    for old in finished[:-keep]:
        if old.name != current:
            _delete_version(old)


def _delete_version(folder: Path) -> None:
    """Delete a version folder, and what it keeps outside it (a Qdrant server's collections). If those cannot be
    deleted now (the server is down), the folder keeps just the files that name them, and the next prune tries
    again."""
    if not folder.is_dir():
        return
    others = [other / name for other in folder.parent.iterdir() if other.is_dir() and other != folder
              for name in VECTOR_FILES]
    if _outside_folder(lambda files: vectors.release(files, others), folder):
        shutil.rmtree(folder, ignore_errors=True)
        return
    for path in folder.iterdir():
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.name not in VECTOR_FILES:
            path.unlink(missing_ok=True)


def _outside_folder(action, folder: Path) -> bool:
    """What a version keeps outside its folder (a Qdrant server's collections and aliases) follows a switch or a
    deletion; if the server cannot be reached the version on disk still switches, with a warning. True if done."""
    try:
        action([folder / name for name in VECTOR_FILES])
    except NetsSearchError as exc:
        log.warning("%s", exc)
        return False
    return True


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- build lock


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time. flock is released by the kernel if the holder dies, so no stale locks."""
    path = Path(index_dir) / "build.lock"
    try:
        Path(index_dir).mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
    except OSError as exc:
        raise IndexWriteError(f"{path}: cannot write the build lock ({exc.strerror or exc})") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(handle) or "another process"
            raise BuildLockedError(f"another build is running ({holder}); wait for it to finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()


# --------------------------------------------------------------------------- versions kept, and rollback


def _lock_holder(handle, patience: float = 0.5) -> str:
    """The holder writes its pid just after taking the lock: a build refused in between waits a moment for it."""
    deadline = time.monotonic() + patience
    while True:
        handle.seek(0)
        holder = handle.read().strip()
        if holder or time.monotonic() > deadline:
            return holder
        time.sleep(0.02)


def list_versions(index_dir: Path) -> list[Manifest]:
    """The finished versions kept on disk, oldest first (those whose manifest can be read)."""
    root = Path(index_dir) / "versions"
    if not root.is_dir():
        return []
    manifests = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            manifests.append(read_manifest(folder))
        except (IndexMissingError, IndexCorruptError):
            continue
    return manifests


def rollback(index_dir: Path, version: str | None = None) -> str:
    """Switch the version in use to `version` (default: the newest kept version older than the current one),
    after checking it is whole; one atomic rename, as a build's switch. Returns the version now in use."""
    with build_lock(index_dir):
        current = current_version(index_dir)
        kept = [m.version for m in list_versions(index_dir)]
        if version is None:
            older = [v for v in kept if current is None or v < current]
            if not older:
                raise IndexMissingError(f"{index_dir}: no earlier version is kept to roll back to")
            version = older[-1]
        if version not in kept:
            raise IndexMissingError(f"{index_dir}: no version '{version}' (kept: {', '.join(kept) or 'none'})")
        open_folder(version_dir(index_dir, version))  # format and checksums: never switch to a damaged version
        _switch_current(index_dir, version)
    return version


@contextmanager
def writing_version(index_dir: Path, version: str | None = None) -> Iterator[None]:
    """A failed write (full disk, read-only folder) becomes one clear message, and the half-written version is
    removed at once (it would take space a retry needs); the version in use is never touched."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        if version is not None:
            discard_version(index_dir, version)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        try:
            reason += f"; {shutil.disk_usage(index_dir).free / 1e6:.1f} MB free"
        except OSError:
            pass
        full = getattr(exc, "errno", None) == errno.ENOSPC or getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        raise IndexWriteError(
            f"could not write the index in {index_dir} ({reason}); the index in use is unchanged; "
            f"{'free some space, then ' if full else ''}{REBUILD_HINT}"
        ) from None
    except NetsSearchError as exc:  # e.g. a Qdrant server that cannot be reached: its half-written collections go too
        if version is not None:
            discard_version(index_dir, version)
            raise IndexWriteError(f"{exc}; the index in use is unchanged") from None
        raise
