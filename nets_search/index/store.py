"""The index on disk: immutable version folders, a manifest with checksums, an atomic switch, a build lock, and
the versions kept for rollback. (What is inside a version: passage_store.py, vectors.py, lexical.py; the embedding
cache beside them: embedding_cache.py.)

    index/
      CURRENT                 name of the version that answers queries (replaced atomically)
      versions/<version>/     manifest.json, manifest.sha256, passages.sqlite, passage-vectors, sentence-vectors,
                              glossary.json, lexical/, calibration.json (when fitted)
      cache/embeddings.sqlite vectors by (model key, hash of the embedded text)
      build.lock              held (flock) by the one running build

Nothing read from disk is trusted: CURRENT must be a short name of a version folder, the manifest must match the
checksum in manifest.sha256 and fit manifest_schema.py, and every file of the version must be listed in it with its
sha256 (and no other file lie beside them). Anything else is damage, reported in one line that never quotes a file.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import stat
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from nets_search.index import manifest_schema
from nets_search.index import vectors
from nets_search.errors import BuildLockedError, IndexCorruptError, IndexMismatchError, IndexMissingError, IndexWriteError, NetsSearchError
from nets_search.types import KeptVersion, Manifest

log = logging.getLogger(__name__)

# 2: passages carry their analysed BM25 terms; 3: sentence vectors and spans; 4: page publisher; 5: the manifest
# is checked against manifest.sha256 and a schema, and every file must be listed (versions of 4 are rebuilt)
FORMAT_VERSION = 5
KEEP_VERSIONS = 2
REBUILD_HINT = "run: nets-search build"
ROLLBACK_HINT = "run: nets-search rollback"

CURRENT_FILE = "CURRENT"
LOCK_FILE = "build.lock"
PASSAGES_DB = "passages.sqlite"
VECTORS_FILE = "passage-vectors"  # written and read by vectors.py (the engine the manifest names)
SENTENCE_VECTORS_FILE = "sentence-vectors"
VECTOR_FILES = (VECTORS_FILE, SENTENCE_VECTORS_FILE)
CALIBRATION_FILE = "calibration.json"
LEXICAL_DIR = "lexical"
LEXICAL_FILES = ("params.index.json", "vocab.index.json", "data.csc.index.npy", "indices.csc.index.npy",
                 "indptr.csc.index.npy")  # what bm25s saves (LexicalIndex.save) and loads
MANIFEST_FILE = "manifest.json"
MANIFEST_SUM_FILE = "manifest.sha256"  # the manifest's own checksum, kept outside it, in sha256sum's format
GLOSSARY_FILE = "glossary.json"
REQUIRED_FILES = (PASSAGES_DB, *VECTOR_FILES, GLOSSARY_FILE, *(f"{LEXICAL_DIR}/{name}" for name in LEXICAL_FILES))

MAX_POINTER_BYTES = 256
MAX_MANIFEST_BYTES = 64 << 20  # page hashes of a very large corpus fit many times over
SUM_LINE = re.compile(rf"([0-9a-f]{{64}})  {re.escape(MANIFEST_FILE)}\n?")
LOCK_HOLDER = re.compile(r"pid \d{1,10}")


# --------------------------------------------------------------------------- CURRENT


def read_current(index_dir: Path) -> str | None:
    """The version CURRENT names, or None when there is no CURRENT (no index yet). CURRENT must be a regular file
    (not a link, not a folder) of at most MAX_POINTER_BYTES of ASCII holding one version name, of a folder kept
    under versions/; anything else raises IndexCorruptError, whose message never quotes the file."""
    path = Path(index_dir) / CURRENT_FILE
    data = _pointer_bytes(path)
    if data is None:
        return None
    name = _pointer_name(path, data)
    if not _is_version_folder(version_dir(index_dir, name)):
        raise _bad_pointer(path, "names a version that is not kept in versions/")
    return name


def current_version(index_dir: Path) -> str | None:
    """The name of the version in use, or None if there is none or CURRENT is damaged (`read_current` says why).
    Cheap: one small file read. What `Searcher.is_stale` and a build's clean-up compare against."""
    try:
        return read_current(index_dir)
    except IndexCorruptError:
        return None


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
    if not manifest_schema.VERSION_NAME.fullmatch(name):
        raise _bad_pointer(path, "does not hold one version name")
    return name


def _bad_pointer(path: Path, reason: str) -> IndexCorruptError:
    return IndexCorruptError(f"{path} {reason}; {ROLLBACK_HINT} (or nets-search build) to repair it")


def _is_version_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)  # a real folder: not a link leading out of versions/
    except OSError:
        return False


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


# --------------------------------------------------------------------------- the manifest


def read_manifest(folder: Path) -> Manifest:
    """A version's manifest, trusted only once its bytes match manifest.sha256 and it fits the schema
    (manifest_schema.py) and names its own folder. Raises IndexMissingError, IndexMismatchError (another format)
    or IndexCorruptError, in one line."""
    folder = Path(folder)
    raw = _read_small(folder / MANIFEST_FILE, MAX_MANIFEST_BYTES)
    if raw is None:
        raise IndexMissingError(f"{folder}: no manifest; {REBUILD_HINT}")
    recorded = _recorded_sum(folder)
    if recorded is None:
        raise _unsealed(folder, raw)
    if hashlib.sha256(raw).hexdigest() != recorded:
        raise IndexCorruptError(f"{folder / MANIFEST_FILE}: manifest is damaged (checksum mismatch); {REBUILD_HINT}")
    data = _parse_manifest(folder, raw)
    _check_format(data.get("format_version"))
    wrong = manifest_schema.problem(data, REQUIRED_FILES)
    if wrong:
        raise IndexCorruptError(f"{folder / MANIFEST_FILE}: manifest is damaged ({wrong}); {REBUILD_HINT}")
    if data["version"] not in (folder.name, folder.name.removeprefix(".tmp-")):
        raise IndexCorruptError(f"{folder / MANIFEST_FILE}: manifest names another version; {REBUILD_HINT}")
    return Manifest(**data)


def _read_small(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes; None if it does not exist; IndexCorruptError if it is
    anything else (a link, a folder, a named pipe, a device) or larger. Opened without blocking and without
    following a link, so a named pipe put in its place is refused at once instead of stalling every reader (the
    page loads a version while holding the searcher slot's lock)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = "is a link" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror or 'error'})"
        raise IndexCorruptError(f"{path}: {reason}; {REBUILD_HINT}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise IndexCorruptError(f"{path}: cannot be read (not a regular file); {REBUILD_HINT}")
        if info.st_size > limit:
            raise IndexCorruptError(f"{path}: larger than a manifest can be; {REBUILD_HINT}")
        data = _read_upto(fd, limit + 1)
    except OSError as exc:
        raise IndexCorruptError(f"{path}: cannot be read ({exc.strerror or 'error'}); {REBUILD_HINT}") from None
    finally:
        os.close(fd)
    if len(data) > limit:  # grew since fstat
        raise IndexCorruptError(f"{path}: larger than a manifest can be; {REBUILD_HINT}")
    return data


def _read_upto(fd: int, size: int) -> bytes:
    """Up to `size` bytes from the start of a regular file (os.read may return fewer than asked before the end)."""
    chunks, left = [], size
    while left and (chunk := os.read(fd, min(left, 1 << 20))):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _recorded_sum(folder: Path) -> str | None:
    data = _read_small(folder / MANIFEST_SUM_FILE, 256)
    if data is None:
        return None
    found = SUM_LINE.fullmatch(data.decode("ascii", "replace"))
    if not found:
        raise IndexCorruptError(f"{folder / MANIFEST_SUM_FILE}: not a checksum of the manifest; {REBUILD_HINT}")
    return found.group(1)


def _unsealed(folder: Path, raw: bytes) -> NetsSearchError:
    """No manifest.sha256: a version built before manifests had one (rebuilt from the embedding cache, as any
    change of format is), or one whose checksum was deleted. Neither is trusted."""
    try:
        old = json.loads(raw).get("format_version")
    except (ValueError, AttributeError, RecursionError):
        old = None
    if type(old) is int and old < FORMAT_VERSION:
        return IndexMismatchError(
            f"{folder}: built by an older release (index format {old}, without a checksum of its manifest); "
            f"{REBUILD_HINT} (the embedding cache is reused)"
        )
    return IndexCorruptError(f"{folder / MANIFEST_SUM_FILE}: missing, so the manifest cannot be checked; {REBUILD_HINT}")


def _parse_manifest(folder: Path, raw: bytes) -> dict:
    def no_repeats(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError("repeated key")
        return dict(pairs)

    def no_constant(name):
        raise ValueError("not finite")

    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=no_repeats, parse_constant=no_constant)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise IndexCorruptError(f"{folder / MANIFEST_FILE}: unreadable manifest; {REBUILD_HINT}")
    return data


def _check_format(found: object) -> None:
    if type(found) is int and found != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index uses format {found}, this version reads format {FORMAT_VERSION}; {REBUILD_HINT}"
        )


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """The manifest, then its checksum (both whole or not at all: `write_file`). A version is only ever published
    after both are written, so a reader never meets one without the other."""
    data = (json.dumps(dataclasses.asdict(manifest), indent=2, sort_keys=True) + "\n").encode("utf-8")
    write_file(Path(folder) / MANIFEST_FILE, data)
    write_file(Path(folder) / MANIFEST_SUM_FILE, f"{hashlib.sha256(data).hexdigest()}  {MANIFEST_FILE}\n".encode())


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


def check_compatible(manifest: Manifest, expect_model: str | None) -> None:
    _check_format(manifest.format_version)
    if expect_model and f"{manifest.model}@{manifest.model_hash}" != expect_model:
        raise IndexMismatchError(
            f"the index was built with model {manifest.model}@{manifest.model_hash}, this install has "
            f"{expect_model}; {REBUILD_HINT}"
        )


def file_checksums(folder: Path) -> dict[str, str]:
    return {name: _sha256_file(Path(folder) / name) for name in _data_files(folder)}


def _data_files(folder: Path) -> list[str]:
    """Every file of a version but its manifest and the manifest's checksum, as paths relative to the folder."""
    names = (p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if not p.is_dir())
    return sorted(name for name in names if name not in (MANIFEST_FILE, MANIFEST_SUM_FILE))


def verify_checksums(folder: Path, manifest: Manifest) -> None:
    """Each file the manifest lists is there with its sha256, and no other file lies beside them (one the searcher
    would read unchecked, such as a calibration.json dropped in)."""
    folder = Path(folder)
    for name, expected in sorted(manifest.checksums.items()):
        path = folder / name
        try:
            found = _sha256_file(path) if path.is_file() else None
        except OSError as exc:
            raise IndexCorruptError(f"{path}: index file cannot be read ({exc.strerror}); {REBUILD_HINT}") from None
        if found is None:
            raise IndexCorruptError(f"{path}: index file missing; {REBUILD_HINT}")
        if found != expected:
            raise IndexCorruptError(f"{path}: index file is corrupted (checksum mismatch); {REBUILD_HINT}")
    unlisted = set(_data_files(folder)) - set(manifest.checksums)
    if unlisted:
        raise IndexCorruptError(f"{folder}: {len(unlisted)} file(s) that the manifest does not list; {REBUILD_HINT}")


def _sha256_file(path: Path) -> str:
    """The sha256 of a regular file; OSError for anything else (opened without blocking: a named pipe that took a
    file's place after it was checked fails here instead of waiting for a writer)."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
    finally:
        os.close(fd)
    return digest.hexdigest()


# --------------------------------------------------------------------------- writing and switching


def write_file(path: Path, data: bytes) -> None:
    """`data` as the whole of `path`: written beside it, flushed to disk and renamed over it, so a reader finds the
    old file or the new one, never part of one. On a failure (a full disk) the partial file is removed and the
    OSError raised as it came, for `writing_version` to turn into one line."""
    partial = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, path)
    except BaseException:
        _remove_quietly(partial)
        raise


def _write_all(fd: int, data: bytes, offset: int | None = None) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view) if offset is None else os.pwrite(fd, view, offset + len(data) - len(view))
        view = view[written:]


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


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
    index_dir = Path(index_dir)
    _set_aside_folder(index_dir / CURRENT_FILE)
    write_file(index_dir / CURRENT_FILE, f"{version}\n".encode("ascii"))
    _fsync_dir(index_dir)
    _outside_folder(vectors.switched_to, version_dir(index_dir, version))


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


def discard_version(index_dir: Path, version: str) -> None:
    """Remove what a failed build wrote for `version` (staged or switched-in folder), unless it is in use."""
    _delete_version(Path(index_dir) / "versions" / f".tmp-{version}")
    if current_version(index_dir) != version:
        _delete_version(version_dir(index_dir, version))
    _remove_quietly(Path(index_dir) / f"{CURRENT_FILE}.tmp")


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
            _write_all(fd, f"pid {os.getpid()}".encode(), offset=0)
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
    root = Path(index_dir) / "versions"
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if manifest_schema.VERSION_NAME.fullmatch(p.name)
                   and _is_version_folder(p)), key=lambda p: p.name)


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
