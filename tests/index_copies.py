"""Copies of the session's seed and library indexes (conftest: seed_index, library_index) for tests that damage
the index on disk, and the damage they do. Import `index_copy` (a fixture) into a test module to use it."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest

from nets_search.index import layout, manifest_file, store

CORPORA = ("seed", "library")


@pytest.fixture(params=CORPORA)
def index_copy(request, tmp_path) -> Path:
    """A copy of the seed or the library index (embedding cache included, so a rebuild embeds nothing), with a
    copy of its corpus beside it (`corpus_of`)."""
    source = request.getfixturevalue(f"{request.param}_index")
    shutil.copytree(Path(source).parent / "corpus", tmp_path / "corpus")  # conftest builds each beside its corpus
    return copy_index(source, tmp_path / "index")


def copy_index(source: Path, target: Path) -> Path:
    """A copy of an index folder. The model's ONNX export in its cache (~200 MB, which no test writes) is
    hard-linked, not copied: the tests that damage copies make hundreds of them, tens of GB otherwise."""
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(store.LOCK_FILE),
                    copy_function=_link_model_files)
    return target


def _link_model_files(source: str, target: str) -> None:
    if f"{os.sep}cache{os.sep}onnx{os.sep}" in source:
        try:
            os.link(source, target)
            return
        except OSError:  # another file system: copy
            pass
    shutil.copy2(source, target)


def corpus_of(index: Path) -> Path:
    return Path(index).parent / "corpus"


def current_folder(index: Path) -> Path:
    return store.version_dir(index, store.current_version(index))


def add_version(index: Path) -> str:
    """A newer version that is a copy of the one in use (its own name in its manifest), switched in: what a build
    with nothing new would make, without the build."""
    source = current_folder(index)
    name = store.new_version_name()
    shutil.copytree(source, store.version_dir(index, name))
    manifest = dataclasses.replace(store.read_manifest(source), version=name)
    manifest_file.write_manifest(store.version_dir(index, name), manifest)
    store.rollback(index, name)
    return name


def sum_line(data: bytes) -> bytes:
    """What manifest.sha256 holds for a manifest of these bytes."""
    return f"{hashlib.sha256(data).hexdigest()}  {layout.MANIFEST_FILE}\n".encode()


def reseal(folder: Path, data: bytes) -> None:
    """Write `data` as the manifest with a matching manifest.sha256: a manifest forged or written by a bug, which
    only the schema can refuse."""
    (folder / layout.MANIFEST_FILE).write_bytes(data)
    (folder / layout.MANIFEST_SUM_FILE).write_bytes(sum_line(data))


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@contextmanager
def in_place(path: Path) -> Iterator[Callable[[bytes, int], None]]:
    """`put(data, offset)` writes into `path` in place (no truncation, no new file: on ext4 each rewritten small
    file costs a flush, ~3 ms, where this costs microseconds, which makes trying every bit of a manifest
    affordable); the file's own bytes are put back at the end."""
    original = Path(path).read_bytes()
    fd = os.open(path, os.O_RDWR)
    try:
        yield lambda data, offset=0: os.pwrite(fd, data, offset)
    finally:
        os.pwrite(fd, original, 0)
        os.close(fd)


def one_line(text: str) -> bool:
    return text.count("\n") == 1 and text.endswith("\n") and "Traceback" not in text


def no_space(path: object = None) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), None if path is None else str(path))


def _fd_name(fd: int) -> str:
    try:
        return os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return ""


def fill_disk_at(monkeypatch, call: str, name: str) -> None:
    """The disk is full for one system call on one file: `call` (write, replace, mkdir, rename, open) fails with
    ENOSPC when the file it writes (for replace and rename: the target, or the source when `name` starts with
    'from:') has a name matching the regular expression `name`. Everything else writes as usual."""
    pattern = re.compile(name.removeprefix("from:"))
    by_source = name.startswith("from:")
    real = getattr(os, call)

    def hits(path) -> bool:
        return bool(pattern.fullmatch(os.path.basename(os.fspath(path))))

    def write(fd, data, *rest):
        if hits(_fd_name(fd)):
            raise no_space()
        return real(fd, data, *rest)

    def move(src, dst, *rest, **kwargs):
        if hits(src if by_source else dst):
            raise no_space(dst)
        return real(src, dst, *rest, **kwargs)

    def make(path, *rest, **kwargs):
        if hits(path):
            raise no_space(path)
        return real(path, *rest, **kwargs)

    def open_(path, flags, *rest, **kwargs):
        if flags & os.O_CREAT and hits(path):
            raise no_space(path)
        return real(path, flags, *rest, **kwargs)

    replacement = {"write": write, "pwrite": write, "replace": move, "rename": move, "mkdir": make, "open": open_}
    monkeypatch.setattr(os, call, replacement[call])
