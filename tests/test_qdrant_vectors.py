"""qdrant_vectors.py against a Qdrant server (conftest.qdrant_server): one collection per version, the aliases
follow every switch (build and rollback), old and failed versions' collections are deleted, and a server that
cannot be reached or has lost a collection is one clear line with the index in use still answering."""

from __future__ import annotations

import pytest

from nets_search import cli, store
from nets_search.build import build_index
from nets_search.search import Searcher

from .conftest import page

PAGES = {
    "sleep.md": page("Sleep", ("Resting well", "Tiredness is common with NETs and short naps can help with fatigue.")),
    "diet.md": page("Diet", ("Foods to avoid", "Cheese and chocolate are rich in tryptophan and can trigger flushing.")),
}
NEW_SLEEP = page("Sleep", ("Resting well", "Melatonin is a hormone that helps the body sleep at night."))
PREFIX = "nets-search"


@pytest.fixture
def server_site(make_corpus, tmp_path, encoder, qdrant_server, monkeypatch):
    monkeypatch.setenv("NETS_SEARCH_VECTORS", "qdrant-server")
    monkeypatch.setattr("nets_search.encode.Encoder", lambda *a, **k: encoder)
    return make_corpus(PAGES), tmp_path / "index", qdrant_server


def collections(client) -> set[str]:
    return {c.name for c in client.get_collections().collections}


def aliases(client) -> dict[str, str]:
    return {a.alias_name: a.collection_name for a in client.get_aliases().aliases}


def own_collections(version: str) -> set[str]:
    name = version.replace(".", "_")
    return {f"{PREFIX}-{name}-{store.VECTORS_FILE}", f"{PREFIX}-{name}-{store.SENTENCE_VECTORS_FILE}"}


def test_each_version_has_its_own_collections_and_the_aliases_follow_builds_and_rollback(server_site, encoder):
    corpus, index, client = server_site
    first = build_index(corpus, index, encoder=encoder).version
    assert collections(client) == own_collections(first)
    assert aliases(client) == {f"{PREFIX}-{store.VECTORS_FILE}": f"{PREFIX}-{first.replace('.', '_')}-{store.VECTORS_FILE}",
                               f"{PREFIX}-{store.SENTENCE_VECTORS_FILE}":
                                   f"{PREFIX}-{first.replace('.', '_')}-{store.SENTENCE_VECTORS_FILE}"}

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
    built = [build_index(corpus, index, encoder=encoder, force=True).version for _ in range(3)]
    assert collections(client) == own_collections(built[1]) | own_collections(built[2])  # store.KEEP_VERSIONS == 2

    def die_before_switch(stage: str) -> None:
        if stage == "verified":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, index, encoder=encoder, force=True, stage=die_before_switch)
    assert len(collections(client)) == 6  # the killed build's collections exist until the next build tidies up
    fourth = build_index(corpus, index, encoder=encoder, force=True).version
    assert collections(client) == own_collections(built[2]) | own_collections(fourth)


def test_an_unreachable_server_stops_the_build_in_one_line_and_the_index_in_use_answers(make_corpus, tmp_path, encoder,
                                                                                       capsys, monkeypatch):
    corpus, index = make_corpus(PAGES), tmp_path / "index"
    before = build_index(corpus, index, encoder=encoder).version  # on FAISS
    monkeypatch.setenv("NETS_SEARCH_VECTORS", "qdrant-server")
    monkeypatch.setenv("NETS_SEARCH_QDRANT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setattr("nets_search.encode.Encoder", lambda *a, **k: encoder)

    code = cli.main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith("nets-search: error: could not write the vectors to Qdrant at http://127.0.0.1:9 (")
    assert err.rstrip().endswith("the index in use is unchanged")
    assert store.current_version(index) == before
    assert [p.name for p in (index / "versions").iterdir()] == [before]
    assert Searcher(index, encoder=encoder).search("tired all the time", k=1).results[0].passage.doc_id == "sleep"


def test_a_collection_lost_on_the_server_is_reported_in_one_line(server_site, encoder, capsys):
    corpus, index, client = server_site
    version = build_index(corpus, index, encoder=encoder).version
    lost = sorted(own_collections(version))[0]
    client.delete_collection(lost)

    code = cli.main(["search", "tired", "--index", str(index)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert f"the Qdrant collection {lost} is missing on the server" in err
