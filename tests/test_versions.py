"""Kept versions can be listed and switched back to, atomically, while readers search."""

import threading

import pytest

from nets_search import cli, store
from nets_search.build import build_index
from nets_search.errors import IndexMissingError
from nets_search.search import Searcher


@pytest.fixture
def two_versions(tmp_path, make_corpus, encoder):
    corpus = make_corpus({"a.md": "# Diet\n\nTryptophan is found in cheese, milk and chocolate."})
    index = tmp_path / "index"
    build_index(corpus, index, encoder=encoder)
    first = store.current_version(index)
    (corpus / "b.md").write_text("# Travel\n\nTell your travel insurance company about your NETs.", encoding="utf-8")
    build_index(corpus, index, encoder=encoder)
    return index, first, store.current_version(index)


def test_versions_lists_what_is_kept_and_marks_the_one_in_use(two_versions, capsys):
    index, first, second = two_versions
    assert cli.main(["versions", "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert f"  {first}" in out and f"* {second}" in out and "2 pages" in out


def test_rollback_switches_to_the_previous_version_and_back(two_versions, capsys, encoder):
    index, first, second = two_versions
    searcher = Searcher(index, encoder=encoder)
    assert cli.main(["rollback", "--index", str(index)]) == 0
    assert store.current_version(index) == first and searcher.is_stale()
    assert "travel" not in Searcher(index, encoder=encoder).search("travel insurance").results[0].passage.text.lower()
    assert cli.main(["rollback", second, "--index", str(index)]) == 0
    assert store.current_version(index) == second


def test_rollback_refuses_unknown_or_damaged_versions(two_versions, capsys):
    index, first, second = two_versions
    assert cli.main(["rollback", "v-nope", "--index", str(index)]) == 2
    assert "no version 'v-nope'" in capsys.readouterr().err
    (store.version_dir(index, first) / store.VECTORS_FILE).write_bytes(b"damaged")
    assert cli.main(["rollback", first, "--index", str(index)]) == 2
    assert store.current_version(index) == second


def test_rollback_during_searches_from_eight_threads(two_versions, encoder):
    index, first, second = two_versions
    errors, answers = [], []
    stop = threading.Event()

    def reader():
        searcher = Searcher(index, encoder=encoder)
        while not stop.is_set():
            try:
                if searcher.is_stale():
                    searcher = Searcher(index, encoder=encoder)
                answers.append(searcher.search("cheese tryptophan", k=2).results[0].passage.doc_id)
            except Exception as exc:  # any failure of a reader fails the test
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        for target in (first, second, first, second):
            store.rollback(index, target)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors and answers and set(answers) == {"a"}
    with pytest.raises(IndexMissingError):
        store.rollback(index.parent / "nothing-here")
