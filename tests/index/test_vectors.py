"""vectors.py and qdrant_vectors.py: every engine behind the VectorIndex protocol keeps and finds the same vectors,
a build records the engine it used and a searcher opens it with that one, and a whole index answers the same on
each. (The Qdrant server's own behaviour — a collection per version, aliases, deletion — is in
test_qdrant_vectors.py.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from nets_search.index import layout, store, vectors
from nets_search.build.build import build_index
from nets_search.errors import NetsSearchError
from nets_search.search.searcher import Searcher
from nets_search.settings import engine_settings
from nets_search.index.vectors import ENGINES, engine_for_build, open_vectors, write_vectors

from ..conftest import LIBRARY, REPO

HELD_OUT = REPO / "benchmarks" / "held-out" / "nets-library-blind.jsonl"


def unit_rows(count: int, dimensions: int = 384, seed: int = 7) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, dimensions)).astype(np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


@pytest.fixture
def engine(request, qdrant_server) -> str:
    """Each engine in turn; the server engine talks to the test's Qdrant (conftest.qdrant_server)."""
    return request.param


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.parametrize("count", [0, 1, 300])
def test_every_engine_gives_back_the_vectors_it_was_given_and_finds_each_one_first(tmp_path, engine, count):
    matrix = unit_rows(count)
    (tmp_path / "v1").mkdir()
    path = tmp_path / "v1" / layout.VECTORS_FILE
    write_vectors(matrix, path, engine)

    index = open_vectors(path, engine)
    assert index.count() == count
    assert np.allclose(index.vectors(), matrix, atol=1e-6) and index.vectors().shape == (count, 384)
    candidates = index.for_candidates()
    for row in range(0, count, 37):
        found = index.search(matrix[row], 5)
        assert found[0][0] == row and found[0][1] == pytest.approx(1.0, abs=1e-5)
        assert [r for r, _ in found] == list(np.argsort(-(matrix @ matrix[row]), kind="stable")[:5])
        assert candidates.search(matrix[row], 5)[0][0] == row
    assert index.search(unit_rows(1, seed=1)[0], 5) == [] if count == 0 else len(index.search(matrix[0], 500)) == count


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
def test_only_an_engine_that_keeps_vectors_outside_the_folder_has_steps_when_a_version_switches_or_goes(tmp_path,
                                                                                                     engine):
    """What store.py asks of the family on every switch and prune: the engine found from a version's files is the
    server for a server's version (its aliases and collections follow) and one with no steps for any other, so a
    FAISS or local-mode index never reaches for a server."""
    folder = tmp_path / "v1"
    folder.mkdir()
    files = [folder / name for name in layout.VECTOR_FILES]
    for path in files:
        write_vectors(unit_rows(3), path, engine)
    keeper = vectors.engine_keeping(files)
    assert keeper.name == ("qdrant-server" if engine == "qdrant-server" else vectors.DEFAULT_ENGINE)
    assert vectors.index_type_of(engine, 3) in vectors.engine(engine).index_types  # what the schema accepts
    if engine != "qdrant-server":
        assert keeper.switched_to(files) is None and keeper.release(files, []) is None  # nothing to reach


@pytest.mark.parametrize("count", [1, 300])
def test_an_hnsw_graph_gives_back_its_vectors_and_proposes_each_one_first(tmp_path, count):
    matrix = unit_rows(count)
    path = tmp_path / layout.VECTORS_FILE
    write_vectors(matrix, path, "faiss", "hnsw")
    index = open_vectors(path)
    assert np.allclose(index.vectors(), matrix, atol=1e-6)  # what the searcher scores its candidates with
    assert index.for_candidates() is index  # the graph proposes the candidates itself
    for row in range(0, count, 23):
        assert index.search(matrix[row], 5)[0][0] == row


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "faiss"),
        ({"NETS_SEARCH_VECTORS": "FAISS"}, "faiss"),
        ({"NETS_SEARCH_VECTORS": "qdrant-local"}, "qdrant-local"),
        ({"NETS_SEARCH_VECTORS": "qdrant"}, "qdrant-local"),
        ({"NETS_SEARCH_VECTORS": "qdrant", "NETS_SEARCH_QDRANT_URL": "http://q:6333"}, "qdrant-server"),
        ({"NETS_SEARCH_VECTORS": "qdrant-server", "NETS_SEARCH_QDRANT_URL": "http://q:6333"}, "qdrant-server"),
        ({"NETS_SEARCH_VECTORS": "qdrant-server"}, "NETS_SEARCH_VECTORS=qdrant-server needs NETS_SEARCH_QDRANT_URL"),
        ({"NETS_SEARCH_VECTORS": "milvus"}, "NETS_SEARCH_VECTORS='milvus' is not a vector engine; choose faiss"),
    ],
)
def test_the_build_setting_names_an_engine_or_stops_in_one_line(env, expected):
    if expected in ENGINES:
        assert engine_for_build(engine_settings(env)) == expected
    else:
        with pytest.raises(NetsSearchError, match=expected) as caught:
            engine_for_build(engine_settings(env))
        assert "\n" not in str(caught.value)


def test_a_version_is_opened_with_the_engine_its_manifest_records_not_todays_setting(make_corpus, tmp_path, encoder,
                                                                                     monkeypatch):
    corpus = make_corpus({"sleep.md": "# Sleep\n\n## Rest\n\nTiredness is common with NETs; short naps help.\n"})
    monkeypatch.setenv("NETS_SEARCH_VECTORS", "qdrant-local")
    build_index(corpus, tmp_path / "index", encoder=encoder)
    assert store.current_manifest(tmp_path / "index").vector_engine == "qdrant-local"

    monkeypatch.setenv("NETS_SEARCH_VECTORS", "faiss")  # the page's process may be set differently: still read right
    assert Searcher(tmp_path / "index", encoder=encoder).search("always tired", k=1).results[0].passage.doc_id == "sleep"

    report = build_index(corpus, tmp_path / "index", encoder=encoder)  # same pages, another engine: a new version
    assert not report.nothing_changed and report.embedded == 0
    assert store.current_manifest(tmp_path / "index").vector_engine == "faiss"


@pytest.fixture(scope="module")
def library_on_each_engine(tmp_path_factory, encoder, library_index) -> dict[str, Searcher]:
    """The NETs library built once per local engine, from the session library build's embedding cache."""
    searchers = {}
    for engine in ("faiss", "qdrant-local"):
        root = tmp_path_factory.mktemp(engine)
        shutil.copytree(LIBRARY, root / "corpus")
        (root / "index" / "cache").mkdir(parents=True)
        shutil.copy(library_index / "cache" / "embeddings.sqlite", root / "index" / "cache" / "embeddings.sqlite")
        with pytest.MonkeyPatch.context() as env:
            env.setenv("NETS_SEARCH_VECTORS", engine)
            build_index(root / "corpus", root / "index", encoder=encoder)
        searchers[engine] = Searcher(root / "index", encoder=encoder)
    return searchers


def test_the_held_out_questions_get_the_same_top_five_on_faiss_and_on_qdrant(library_on_each_engine):
    questions = [json.loads(line)["question"] for line in HELD_OUT.read_text(encoding="utf-8").splitlines() if line]
    assert len(questions) >= 75  # the whole held-out set (79 questions), not a few
    faiss_searcher, qdrant_searcher = library_on_each_engine["faiss"], library_on_each_engine["qdrant-local"]
    assert faiss_searcher.manifest.vector_engine == "faiss"
    assert qdrant_searcher.manifest.vector_engine == "qdrant-local"
    for question in questions:
        on_faiss, on_qdrant = faiss_searcher.search(question, k=5), qdrant_searcher.search(question, k=5)
        assert [r.passage.passage_id for r in on_faiss.results] == [r.passage.passage_id for r in on_qdrant.results], question
        assert [r.score for r in on_faiss.results] == pytest.approx([r.score for r in on_qdrant.results], abs=1e-5)
        assert on_faiss.no_good_match == on_qdrant.no_good_match, question


def test_an_index_keeps_no_qdrant_storage_that_would_be_unpickled(library_on_each_engine):
    folder = Path(library_on_each_engine["qdrant-local"].index_dir)
    assert folder.is_dir()
    version = store.version_dir(folder, store.current_version(folder))
    for name in (layout.VECTORS_FILE, layout.SENTENCE_VECTORS_FILE):
        assert (version / name).read_bytes()[:6] == b"\x93NUMPY"
        np.load(version / name, allow_pickle=False)
    assert not list(folder.rglob("storage.sqlite")) and not list(folder.rglob(".lock"))
