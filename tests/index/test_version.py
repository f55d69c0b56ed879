"""version.py: a version opened in one place — its files read, checked against each other, a switch during the
load followed — and a version's contents copied for a recalibrated one."""

from __future__ import annotations

import json
import sqlite3

import pytest

from nets_search.errors import IndexCorruptError
from nets_search.index import layout, manifest_file, store, version
from nets_search.index.version import copy_contents, open_version

from ..index_copies import add_version, copy_index, current_folder


@pytest.fixture
def index(seed_index, tmp_path):
    return copy_index(seed_index, tmp_path / "index")


def test_an_opened_version_holds_every_file_row_for_row(seed_index):
    opened = open_version(seed_index)
    assert opened.folder == current_folder(seed_index) and opened.version == store.current_version(seed_index)
    rows = len(opened.passages)
    assert rows and opened.passage_vectors.shape[0] == rows == opened.lexical.size
    assert opened.sentence_vectors.shape == (len(opened.sentences), opened.passage_vectors.shape[1])
    assert opened.candidate_index.search(opened.passage_vectors[3], 1)[0][0] == 3  # a passage is its own nearest
    for row, start, end in opened.sentences:
        assert 0 <= start < end <= len(opened.passages[row].text)
    assert {p.doc_id for p in opened.passages} <= set(opened.pages)
    assert opened.glossary and opened.glossary == json.loads(
        (opened.folder / layout.VERSION_GLOSSARY_FILE).read_text(encoding="utf-8"))
    assert opened.calibration_file == opened.folder / layout.CALIBRATION_FILE  # fitted on the seed page's questions


def test_a_named_folder_is_opened_instead_of_the_version_in_use(index):
    first = current_folder(index)
    add_version(index)
    opened = open_version(index, first)
    assert opened.folder == first and opened.version == first.name != store.current_version(index)


def test_a_version_switched_out_while_it_loads_is_followed_to_the_newer_one(index, monkeypatch):
    read, calls = version._read, []

    def pruned_on_first_read(index_dir, folder):
        calls.append(store.current_version(index_dir))
        if len(calls) == 1:
            add_version(index_dir)  # a build switched a newer version in, and pruned the one being read
            raise FileNotFoundError("passages.sqlite")
        return read(index_dir, folder)

    monkeypatch.setattr(version, "_read", pruned_on_first_read)
    opened = open_version(index)
    assert opened.version == store.current_version(index) != calls[0] and len(calls) == 2


@pytest.mark.parametrize("failure", [OSError("disk gone"), sqlite3.DatabaseError("file is not a database"),
                                     RuntimeError("faiss could not read it")])
def test_an_unreadable_version_is_one_line_asking_for_a_build(index, monkeypatch, failure):
    def unreadable(index_dir, folder):
        raise failure

    monkeypatch.setattr(version, "_read", unreadable)
    with pytest.raises(IndexCorruptError, match=r"could not be read .*nets-search build") as caught:
        open_version(index)
    assert "\n" not in str(caught.value)


def test_a_copy_holds_every_file_but_the_manifest_and_those_left_out(index, tmp_path):
    folder = current_folder(index)
    staged = tmp_path / "staged"
    copy_contents(folder, staged, leave_out=(layout.CALIBRATION_FILE,))
    copied = {p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()}
    listed = set(manifest_file.read_manifest(folder).checksums)
    assert copied == listed - {layout.CALIBRATION_FILE} and f"{layout.LEXICAL_DIR}/params.index.json" in copied
    assert (staged / layout.PASSAGES_DB).read_bytes() == (folder / layout.PASSAGES_DB).read_bytes()
