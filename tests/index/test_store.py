"""store.py: a damaged or missing version is refused in one line before anything is loaded, a version of another
format or model asks for a build, and the switch is one pointer file with leftover staging cleaned. (The manifest's
own checks: test_manifest_file.py; switching, rollback and a damaged CURRENT: test_versions.py.)"""

import dataclasses
import json

import pytest

from nets_search.build.build import build_index
from nets_search.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from nets_search.index import layout, manifest_file, store
from nets_search.search.searcher import Searcher

from ..conftest import page
from ..index_copies import reseal


@pytest.fixture
def index(make_corpus, tmp_path, encoder):
    corpus = make_corpus({"a.md": page("A", ("One", "Alpha words about flushing. " * 5))})
    build_index(corpus, tmp_path / "index", encoder=encoder)
    return tmp_path / "index"


def _current_dir(index):
    return store.version_dir(index, store.current_version(index))


@pytest.mark.parametrize("victim", [layout.VECTORS_FILE, layout.PASSAGES_DB, "lexical/vocab.index.json"])
@pytest.mark.parametrize("damage", ["truncate", "random-bytes"])
def test_a_damaged_index_file_is_detected_and_not_loaded(index, encoder, victim, damage):
    path = _current_dir(index) / victim
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else bytes(range(256)) * 4)
    with pytest.raises(IndexCorruptError, match="checksum mismatch.*nets-search build"):
        Searcher(index, encoder=encoder)


def test_a_missing_index_says_how_to_build_one(tmp_path, encoder):
    with pytest.raises(IndexMissingError, match="run: nets-search build"):
        Searcher(tmp_path / "nothing", encoder=encoder)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"format_version": 0}, "uses format 0"),
        ({"model_hash": "0123456789abcdef"}, "built with model all-MiniLM-L6-v2@0123456789abcdef"),
    ],
)
def test_an_index_from_another_format_or_model_is_refused(index, encoder, change, message):
    folder = _current_dir(index)
    manifest = dataclasses.replace(manifest_file.read_manifest(folder), **change)
    manifest_file.write_manifest(folder, manifest)
    with pytest.raises(IndexMismatchError, match=message + ".*run: nets-search build"):
        Searcher(index, encoder=encoder)


@pytest.mark.parametrize("sealed, message", [(False, "manifest is damaged \\(checksum mismatch\\)"),
                                             (True, "unreadable manifest")])
def test_an_unreadable_manifest_is_reported(index, encoder, sealed, message):
    """A manifest that is not JSON: noticed by its checksum, or by the parser when its checksum was forged too."""
    if sealed:
        reseal(_current_dir(index), b"{not json")
    else:
        (_current_dir(index) / layout.MANIFEST_FILE).write_text("{not json")
    with pytest.raises(IndexCorruptError, match=message + ".*run: nets-search build"):
        Searcher(index, encoder=encoder)


def test_manifest_records_what_the_index_was_built_from(index):
    data = json.loads((_current_dir(index) / layout.MANIFEST_FILE).read_text())
    assert data["format_version"] == layout.FORMAT_VERSION
    assert data["dimensions"] == 384 and data["max_seq_length"] == 256
    assert set(data["checksums"]) >= {layout.VECTORS_FILE, layout.PASSAGES_DB}
    assert data["splitter"]["max_chars"] == 1000 and data["retrieval"]["stemmer"] == "english"


def test_the_switch_is_one_pointer_file_and_leftover_staging_is_cleaned(index):
    staged = store.staging_dir(index, "v-unfinished")
    (staged / "half-written").write_text("x")
    pointer_left = index / f".{layout.CURRENT_FILE}.k1lled.tmp"  # atomic_write's new file, its writer killed
    pointer_left.write_text("v-unfinished\n")
    store.prune(index)
    assert not staged.exists() and not pointer_left.exists()
    assert (index / "CURRENT").read_text().strip() == store.current_version(index)
