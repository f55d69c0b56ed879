"""Kept versions can be listed and switched back to, atomically, while readers search; a damaged CURRENT or
version is named in one line, and a rollback (or a build) repairs it."""

import json
import itertools
import os
import re
import stat
import threading
import time
from pathlib import Path

import pytest

from nets_search.cli import main as cli
from nets_search.index import layout, store
from nets_search.build.build import build_index
from nets_search.errors import IndexMissingError
from nets_search.search.searcher import Searcher

from ..index_copies import add_version, corpus_of, current_folder, index_copy, one_line, reseal  # noqa: F401 (a fixture)


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
    (store.version_dir(index, first) / layout.VECTORS_FILE).write_bytes(b"damaged")
    assert cli.main(["rollback", first, "--index", str(index)]) == 2
    assert store.current_version(index) == second


def test_rollback_during_searches_from_eight_threads(two_versions, encoder):
    index, first, second = two_versions
    errors, answers, switches = [], [], 0
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
        # Switch back and forth until the readers have answered many times while switching goes on (a fixed
        # number of switches can all finish before a slow engine's first search does, and then nothing is tested);
        # a reader's failure ends it at once.
        targets, deadline = itertools.cycle((first, second)), time.monotonic() + 120
        while (len(answers) < 64 or switches < 4) and not errors and time.monotonic() < deadline:
            store.rollback(index, next(targets))
            switches += 1
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors, errors[:3]
    assert len(answers) >= 64 and switches >= 4
    assert set(answers) == {"a"}
    with pytest.raises(IndexMissingError):
        store.rollback(index.parent / "nothing-here")


# --------------------------------------------------------------------------- a damaged CURRENT
# On the seed corpus's index and the library's (index_copy), with a second version kept (add_version).

PASSWD = Path("/etc/passwd")


def _replace_pointer(index: Path, data: bytes | None = None) -> Path:
    pointer = index / layout.CURRENT_FILE
    pointer.unlink()
    if data is not None:
        pointer.write_bytes(data)
    return pointer


def _linked(index: Path, target: Path, text: str | None = None) -> None:
    """CURRENT is a link (to `target`, first given `text` if any): never followed, whatever it leads to."""
    if text is not None:
        target.write_text(text)
    os.symlink(target, _replace_pointer(index))


def _named(index: Path, name: str) -> None:
    """CURRENT names a folder in versions/ that is a link to a real version: not a kept version."""
    os.symlink(current_folder(index), index / "versions" / name)
    _replace_pointer(index, f"{name}\n".encode())


POINTER_DAMAGE = {
    "not-utf8": lambda index, v: _replace_pointer(index, b"\xff\xfe" + v.encode() + b"\x80\n"),
    "not-ascii": lambda index, v: _replace_pointer(index, f"{v}é\n".encode()),
    "a-folder": lambda index, v: (_replace_pointer(index).mkdir(), (index / "CURRENT" / "note").write_text(v)),
    "a-link-to-etc-passwd": lambda index, v: _linked(index, PASSWD),
    "a-link-to-a-good-copy": lambda index, v: _linked(index, index / "elsewhere", f"{v}\n"),
    "a-fifo": lambda index, v: os.mkfifo(_replace_pointer(index)),
    "empty": lambda index, v: _replace_pointer(index, b""),
    "too-long": lambda index, v: _replace_pointer(index, ((v + "-") * 20).encode()),
    "two-lines": lambda index, v: _replace_pointer(index, f"{v}\n{v}\n".encode()),
    "a-path-out": lambda index, v: _replace_pointer(index, b"../../../etc\n"),
    "an-absolute-path": lambda index, v: _replace_pointer(index, str(PASSWD).encode()),
    "a-version-not-kept": lambda index, v: _replace_pointer(index, b"v20990101T000000.000000000-abcdef\n"),
    "a-version-folder-that-is-a-link": lambda index, v: _named(index, "v20990101T000000.000000000-fedcba"),
}


def _no_file_content(text: str) -> bool:
    secret = PASSWD.read_text().splitlines()[0] if PASSWD.is_file() else "root:x:0:0"
    return secret not in text and "root:" not in text and "\ufffd" not in text


def _pointer_words(index: Path, *names: str) -> set[str]:
    """The names a damaged CURRENT holds (any run of 6 or more name characters in it, if it is a file) and `names`:
    none may be echoed, even one that is a well-formed version name."""
    pointer = index / layout.CURRENT_FILE
    data = pointer.read_bytes() if stat.S_ISREG(os.lstat(pointer).st_mode) else b""
    return set(re.findall(r"[\w.-]{6,}", data.decode("ascii", "replace"))) | set(names)


@pytest.fixture
def kept_two(one_model, index_copy, monkeypatch, encoder):
    """(index, older version, newer version in use); the CLI gets the session's model."""
    older = store.current_version(index_copy)
    newer = add_version(index_copy)
    return index_copy, older, newer


@pytest.mark.parametrize("damage", POINTER_DAMAGE)
def test_a_damaged_current_is_one_line_and_versions_and_rollback_repair_it(kept_two, capsys, damage):
    index, older, newer = kept_two
    question = ["search", "what foods should I avoid", "--index", str(index)]
    assert cli.main(question) == 0
    answer = capsys.readouterr().out
    POINTER_DAMAGE[damage](index, newer)
    held = _pointer_words(index, newer)

    assert cli.main(question) == 2
    out, err = capsys.readouterr()
    assert out == "" and one_line(err) and _no_file_content(err), err
    assert err.startswith(f"nets-search: error: {index / 'CURRENT'} ") and "run: nets-search rollback" in err
    assert not [word for word in held if word in err], err

    assert cli.main(["versions", "--index", str(index)]) == 0
    out, err = capsys.readouterr()
    assert f"  {older}  built " in out and f"  {newer}  built " in out and "*" not in out.replace("(* = in use)", "")
    assert one_line(err) and err.startswith("nets-search: warning: ") and _no_file_content(err + out), err
    assert not [word for word in held if word in err], err

    assert cli.main(["rollback", "--index", str(index)]) == 0  # with no good CURRENT: the newest whole version
    out, err = capsys.readouterr()
    assert out.startswith(f"Index in use: {newer} (was no usable version).") and err == ""
    assert store.read_current(index) == newer and (index / "CURRENT").read_text() == f"{newer}\n"
    assert not (index / "CURRENT.tmp").exists()
    assert cli.main(question) == 0 and capsys.readouterr().out == answer


@pytest.mark.parametrize("damage", ["not-utf8", "a-folder", "a-link-to-etc-passwd"])
def test_a_rollback_to_a_named_version_rewrites_a_damaged_current(kept_two, capsys, damage):
    index, older, newer = kept_two
    POINTER_DAMAGE[damage](index, newer)
    assert cli.main(["rollback", older, "--index", str(index)]) == 0
    assert store.read_current(index) == older and store.open_current(index)[0].version == older
    assert PASSWD.is_file() or damage != "a-link-to-etc-passwd"  # the link was replaced, never written through
    if damage == "a-folder":  # moved aside, not deleted
        (aside,) = index.glob("CURRENT.damaged-*")
        assert (aside / "note").read_text() == newer


@pytest.mark.usefixtures("one_model")
def test_a_build_repairs_a_damaged_current(index_copy, capsys, monkeypatch, encoder):
    before = store.current_version(index_copy)
    POINTER_DAMAGE["not-utf8"](index_copy, before)
    assert cli.main(["build", "--corpus", str(corpus_of(index_copy)), "--index", str(index_copy), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Built index") and "(0 embedded," in out
    assert "warning: the index in use (named by CURRENT) was damaged; a complete new version replaces it" in out
    assert store.read_current(index_copy) not in (None, before)


@pytest.mark.parametrize("damage", ["not-utf8", "a-folder", "a-link-to-etc-passwd", "a-fifo"])
def test_the_page_says_search_is_not_available_when_current_is_damaged(index_copy, monkeypatch, tmp_path, damage):
    """Readers see the page's plain sentence (page.render_unavailable), not Streamlit's error box, and nothing of
    the file."""
    from streamlit.testing.v1 import AppTest

    from nets_search.page import reader as page
    from nets_search.page import setup as page_setup

    POINTER_DAMAGE[damage](index_copy, store.current_version(index_copy))
    for name, value in {"INDEX": index_copy, "CORPUS": corpus_of(index_copy), "FEEDBACK_DB": tmp_path / "f.sqlite",
                        "GOLDEN": tmp_path / "golden.jsonl"}.items():
        monkeypatch.setenv(f"NETS_SEARCH_{name}", str(value))
    for name in ("NETS_SEARCH_EDITOR", "NETS_SEARCH_FEEDBACK"):
        monkeypatch.delenv(name, raising=False)
    page_setup.clear_caches(keep_model=True)
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    at.query_params["q"] = "what foods should I avoid"
    try:
        at.run()
    finally:
        page_setup.clear_caches(keep_model=True)
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert page.UNAVAILABLE in text and _no_file_content(text) and str(index_copy) not in text


# --------------------------------------------------------------------------- damaged versions and rollback


def test_rollback_passes_over_a_damaged_version_to_the_newest_whole_one(kept_two, capsys):
    index, oldest, middle = kept_two
    newest = add_version(index)
    (store.version_dir(index, middle) / layout.MANIFEST_FILE).write_text("{}")
    assert cli.main(["versions", "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert f"  {middle}  damaged: {store.version_dir(index, middle) / layout.MANIFEST_FILE}: manifest is damaged" in out
    assert f"* {newest}  built" in out

    assert cli.main(["rollback", middle, "--index", str(index)]) == 2  # refused by name
    out, err = capsys.readouterr()
    assert out == "" and one_line(err) and "checksum mismatch" in err and store.current_version(index) == newest
    assert cli.main(["rollback", "--index", str(index)]) == 0  # by default: the whole one before it
    assert store.current_version(index) == oldest


def test_a_version_whose_manifest_names_another_version_is_refused(kept_two, capsys):
    index, older, newer = kept_two
    folder = store.version_dir(index, older)
    data = json.loads((folder / layout.MANIFEST_FILE).read_text())
    reseal(folder, json.dumps({**data, "version": newer}).encode())  # a copied folder: it would pose as the other
    assert cli.main(["rollback", older, "--index", str(index)]) == 2
    assert "manifest names another version" in capsys.readouterr().err and store.current_version(index) == newer


def test_rollback_never_follows_a_name_out_of_versions(kept_two, capsys):
    index, older, newer = kept_two
    for name in ("../../etc", "/etc", ".", ".tmp-x"):
        assert cli.main(["rollback", name, "--index", str(index)]) == 2
        assert f"no version '{name}'" in capsys.readouterr().err
    assert store.read_current(index) == newer
