"""A version's manifest: what the version was made from and the sha256 of each of its files (manifest.json), sealed
by the manifest's own checksum beside it (manifest.sha256), and what a reader checks before it trusts either.

Nothing read from disk is trusted: the manifest must match the checksum in manifest.sha256 and fit
manifest_schema.py, and every file of the version must be listed in it with its sha256 (and no other file lie beside
them). Anything else is damage, reported in one line that never quotes a file.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import re
import stat
from pathlib import Path

from nets_search.atomic_write import replace_file
from nets_search.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, NetsSearchError
from nets_search.index import manifest_schema
from nets_search.index.layout import FORMAT_VERSION, MANIFEST_FILE, MANIFEST_SUM_FILE, REQUIRED_FILES, STAGING_PREFIX
from nets_search.types import Manifest

REBUILD_HINT = "run: nets-search build"
MAX_MANIFEST_BYTES = 64 << 20  # page hashes of a very large corpus fit many times over
SUM_LINE = re.compile(rf"([0-9a-f]{{64}})  {re.escape(MANIFEST_FILE)}\n?")


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
    if data["version"] not in (folder.name, folder.name.removeprefix(STAGING_PREFIX)):
        raise IndexCorruptError(f"{folder / MANIFEST_FILE}: manifest names another version; {REBUILD_HINT}")
    return Manifest(**data)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """The manifest, then its checksum (each whole or not at all: `replace_file`). A version is only ever
    published after both are written, so a reader never meets one without the other."""
    data = (json.dumps(dataclasses.asdict(manifest), indent=2, sort_keys=True) + "\n").encode("utf-8")
    replace_file(Path(folder) / MANIFEST_FILE, data)
    replace_file(Path(folder) / MANIFEST_SUM_FILE, f"{hashlib.sha256(data).hexdigest()}  {MANIFEST_FILE}\n".encode())


def check_compatible(manifest: Manifest, expect_model: str | None) -> None:
    """The manifest is of this release's format and (given `expect_model`, "name@hash") of the installed model."""
    _check_format(manifest.format_version)
    if expect_model and f"{manifest.model}@{manifest.model_hash}" != expect_model:
        raise IndexMismatchError(
            f"the index was built with model {manifest.model}@{manifest.model_hash}, this install has "
            f"{expect_model}; {REBUILD_HINT}"
        )


def file_checksums(folder: Path) -> dict[str, str]:
    """The sha256 of every file of a version but its manifest and the manifest's checksum: what the manifest lists."""
    return {name: _sha256_file(Path(folder) / name) for name in _data_files(folder)}


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


# --------------------------------------------------------------------------- reading, trusting nothing


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


def _data_files(folder: Path) -> list[str]:
    """Every file of a version but its manifest and the manifest's checksum, as paths relative to the folder."""
    names = (p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if not p.is_dir())
    return sorted(name for name in names if name not in (MANIFEST_FILE, MANIFEST_SUM_FILE))


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
