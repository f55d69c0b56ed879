import dataclasses
import json

import pytest

from nets_search import embedding_cache, store
from nets_search.build import build_index
from nets_search.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from nets_search.search import Searcher

from .conftest import page


@pytest.fixture
def index(make_corpus, tmp_path, encoder):
    corpus = make_corpus({"a.md": page("A", ("One", "Alpha words about flushing. " * 5))})
    build_index(corpus, tmp_path / "index", encoder=encoder)
    return tmp_path / "index"


def _current_dir(index):
    return store.version_dir(index, store.current_version(index))


@pytest.mark.parametrize("victim", [store.VECTORS_FILE, store.PASSAGES_DB, "lexical/vocab.index.json"])
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
    manifest = dataclasses.replace(store.read_manifest(folder), **change)
    store.write_manifest(folder, manifest)
    with pytest.raises(IndexMismatchError, match=message + ".*run: nets-search build"):
        Searcher(index, encoder=encoder)


def test_an_unreadable_manifest_is_reported(index, encoder):
    (_current_dir(index) / store.MANIFEST_FILE).write_text("{not json")
    with pytest.raises(IndexCorruptError, match="unreadable manifest"):
        Searcher(index, encoder=encoder)


def test_manifest_records_what_the_index_was_built_from(index):
    data = json.loads((_current_dir(index) / store.MANIFEST_FILE).read_text())
    assert data["format_version"] == store.FORMAT_VERSION
    assert data["dimensions"] == 384 and data["max_seq_length"] == 256
    assert set(data["checksums"]) >= {store.VECTORS_FILE, store.PASSAGES_DB}
    assert data["splitter"]["max_chars"] == 1000 and data["lexical"]["stemmer"] == "english"


def test_the_switch_is_one_pointer_file_and_leftover_staging_is_cleaned(index):
    staged = store.staging_dir(index, "v-unfinished")
    (staged / "half-written").write_text("x")
    store.prune(index)
    assert not staged.exists()
    assert (index / "CURRENT").read_text().strip() == store.current_version(index)


def test_embedding_cache_round_trips_vectors(tmp_path):
    import numpy as np

    cache = embedding_cache.EmbeddingCache(tmp_path)
    vectors = np.arange(6, dtype=np.float32).reshape(2, 3)
    cache.put("model-a", ["k1", "k2"], vectors, [5, 7])
    found = cache.get("model-a", ["k1", "k2", "k3"])
    assert set(found) == {"k1", "k2"} and found["k2"][1] == 7
    assert np.array_equal(found["k2"][0], vectors[1])
    assert cache.get("model-b", ["k1"]) == {}
    cache.close()
