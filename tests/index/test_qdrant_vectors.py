"""qdrant_vectors.py against a Qdrant server (conftest.qdrant_server): one collection per version, the aliases
follow every switch (build and rollback), old and failed versions' collections are deleted, and a server that
cannot be reached or has lost a collection is one clear line with the index in use still answering. The server is
qdrant-client's own engine behind the client API (conftest.qdrant_server): no Qdrant server can run on the test
machines, so REST-only behaviour (authentication, timeouts, HTTP errors other than a refused connection) is not
exercised here."""

from __future__ import annotations

import shutil

import pytest

from nets_search.cli import main as cli
from nets_search.index import layout, store
from nets_search.build.build import build_index
from nets_search.errors import NetsSearchError
from nets_search.search.searcher import Searcher

from ..conftest import REPO, page

PAGES = {
    "sleep.md": page("Sleep", ("Resting well", "Tiredness is common with NETs and short naps can help with fatigue.")),
    "diet.md": page("Diet", ("Foods to avoid", "Cheese and chocolate are rich in tryptophan and can trigger flushing.")),
}
NEW_SLEEP = page("Sleep", ("Resting well", "Melatonin is a hormone that helps the body sleep at night."))
PREFIX = "nets-search"
KEPT = 2  # index versions the tests here keep


@pytest.fixture
def server_site(one_model, make_corpus, tmp_path, encoder, qdrant_server, monkeypatch):
    monkeypatch.setenv("NETS_SEARCH_VECTORS", "qdrant-server")
    monkeypatch.setenv("NETS_SEARCH_KEEP_VERSIONS", str(KEPT))  # fewer than the builds made here, so pruning shows
    return make_corpus(PAGES), tmp_path / "index", qdrant_server


def collections(client) -> set[str]:
    return {c.name for c in client.get_collections().collections}


def aliases(client) -> dict[str, str]:
    return {a.alias_name: a.collection_name for a in client.get_aliases().aliases}


def own_collections(version: str) -> set[str]:
    name = version.replace(".", "_")
    return {f"{PREFIX}-{name}-{layout.VECTORS_FILE}", f"{PREFIX}-{name}-{layout.SENTENCE_VECTORS_FILE}"}


def test_each_version_has_its_own_collections_and_the_aliases_follow_builds_and_rollback(server_site, encoder):
    corpus, index, client = server_site
    first = build_index(corpus, index, encoder=encoder).version
    assert collections(client) == own_collections(first)
    assert aliases(client) == {f"{PREFIX}-{layout.VECTORS_FILE}": f"{PREFIX}-{first.replace('.', '_')}-{layout.VECTORS_FILE}",
                               f"{PREFIX}-{layout.SENTENCE_VECTORS_FILE}":
                                   f"{PREFIX}-{first.replace('.', '_')}-{layout.SENTENCE_VECTORS_FILE}"}

    (corpus / "sleep.md").write_text(NEW_SLEEP, encoding="utf-8")
    second = build_index(corpus, index, encoder=encoder).version
    assert collections(client) == own_collections(first) | own_collections(second)
    assert set(aliases(client).values()) == own_collections(second)
    assert Searcher(index, encoder=encoder).search("help me sleep", k=1).results[0].passage.text.startswith("Melatonin")

    assert store.rollback(index) == first
    assert set(aliases(client).values()) == own_collections(first)
    assert Searcher(index, encoder=encoder).search("help me sleep", k=1).results[0].passage.text.startswith("Tiredness")


def test_versions_pruned_or_killed_before_the_switch_leave_no_collections_behind(server_site, encoder):
    corpus, index, client = server_site
    built = [build_index(corpus, index, encoder=encoder, force=True).version for _ in range(KEPT + 1)]
    assert collections(client) == set().union(*(own_collections(version) for version in built[1:]))

    def die_before_switch(stage: str) -> None:
        if stage == "verified":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, index, encoder=encoder, force=True, stage=die_before_switch)
    assert len(collections(client)) == 6  # the killed build's collections exist until the next build tidies up
    fourth = build_index(corpus, index, encoder=encoder, force=True).version
    assert collections(client) == own_collections(built[2]) | own_collections(fourth)


@pytest.mark.usefixtures("one_model")
def test_an_unreachable_server_stops_the_build_in_one_line_and_the_index_in_use_answers(make_corpus, tmp_path, encoder,
                                                                                       capsys, monkeypatch):
    corpus, index = make_corpus(PAGES), tmp_path / "index"
    before = build_index(corpus, index, encoder=encoder).version  # on FAISS
    monkeypatch.setenv("NETS_SEARCH_VECTORS", "qdrant-server")
    monkeypatch.setenv("NETS_SEARCH_QDRANT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port

    code = cli.main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith("nets-search: error: could not write the vectors to Qdrant at http://127.0.0.1:9 (")
    assert err.rstrip().endswith("the index in use is unchanged")
    assert store.current_version(index) == before
    for folder in (index / "versions").iterdir():  # the failed version keeps only what names its collections
        assert folder.name == before or {p.name for p in folder.iterdir()} <= set(layout.VECTOR_FILES), folder
    assert Searcher(index, encoder=encoder).search("tired all the time", k=1).results[0].passage.doc_id == "sleep"


def test_collections_that_cannot_be_deleted_now_are_deleted_by_a_later_build(server_site, encoder):
    corpus, index, client = server_site
    first = build_index(corpus, index, encoder=encoder).version
    second = build_index(corpus, index, encoder=encoder, force=True).version
    with pytest.MonkeyPatch.context() as down:
        down.setattr(client, "delete_collection", _refuse)  # the server is down while the build prunes
        third = build_index(corpus, index, encoder=encoder, force=True).version
    assert own_collections(first) <= collections(client)
    assert [p.name for p in (store.version_dir(index, first)).iterdir()] == sorted(layout.VECTOR_FILES)
    assert [m.version for m in store.list_versions(index)] == [second, third]

    fourth = build_index(corpus, index, encoder=encoder, force=True).version
    assert collections(client) == own_collections(third) | own_collections(fourth)
    assert not store.version_dir(index, first).exists()


def _refuse(*args, **kwargs):
    raise ConnectionRefusedError(111, "Connection refused")


def test_a_recalibrated_version_shares_the_collections_of_the_one_it_was_copied_from(server_site, encoder):
    from nets_search.build.calibrate import labelled_questions, recalibrate

    corpus, index, client = server_site
    shutil.copytree(REPO / "corpus", corpus, dirs_exist_ok=True)
    built = build_index(corpus, index, encoder=encoder).version
    _, recalibrated = recalibrate(index, labelled_questions(corpus), encoder=encoder)
    build_index(corpus, index, encoder=encoder, force=True)  # prunes the built version: its collections stay
    store.rollback(index, recalibrated)
    assert own_collections(built) <= collections(client)
    assert Searcher(index, encoder=encoder).search("why does my face go red", k=1).results


def test_a_collection_lost_while_a_page_searches_is_one_line_not_a_traceback(server_site, encoder):
    corpus, index, client = server_site
    version = build_index(corpus, index, encoder=encoder).version
    searcher = Searcher(index, encoder=encoder)
    client.delete_collection(sorted(own_collections(version))[0])
    with pytest.raises(NetsSearchError, match="could not search Qdrant at http://qdrant.test:6333"):
        searcher.search("tired", k=1)


def test_a_rebuild_without_the_setting_keeps_the_engine_of_the_version_in_use(server_site, encoder, monkeypatch):
    corpus, index, client = server_site
    build_index(corpus, index, encoder=encoder)
    monkeypatch.delenv("NETS_SEARCH_VECTORS")  # an editor's rebuild from a page process that was not told
    (corpus / "sleep.md").write_text(NEW_SLEEP, encoding="utf-8")
    version = build_index(corpus, index, encoder=encoder).version
    assert store.current_manifest(index).vector_engine == "qdrant-server"
    assert own_collections(version) <= collections(client)


def test_a_collection_lost_on_the_server_is_reported_in_one_line(server_site, encoder, capsys):
    corpus, index, client = server_site
    version = build_index(corpus, index, encoder=encoder).version
    lost = sorted(own_collections(version))[0]
    client.delete_collection(lost)

    code = cli.main(["search", "tired", "--index", str(index)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert f"the Qdrant collection {lost} is missing on the server" in err
