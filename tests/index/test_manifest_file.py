"""manifest_file.py: a version's manifest is checked, never trusted (its checksum, its schema, the files it lists),
and a version of an older format asks for a build that reuses the embedding cache. (Opening, switching and
pruning versions: test_store.py and test_versions.py.)"""

import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nets_search.cli import main as cli
from nets_search.errors import IndexCorruptError, NetsSearchError
from nets_search.index import layout, manifest_file, manifest_schema, store
from nets_search.search.searcher import Searcher

from ..conftest import REPO
from ..index_copies import (add_version, corpus_of, current_folder, flip, in_place, index_copy,  # noqa: F401 (a fixture)
                           one_line, reseal, sum_line)


# --------------------------------------------------------------------------- the manifest is checked, not trusted
# On the seed corpus's index and the library's (index_copy): a manifest whose bytes differ from manifest.sha256, or
# which was forged with a matching checksum but does not fit the schema, is damage, in one line.


def _manifest_data(index) -> dict:
    return json.loads((current_folder(index) / layout.MANIFEST_FILE).read_text())


def _set(**fields):
    return lambda data: data.update(fields)


def _drop(key: str, inside: str | None = None):
    return lambda data: (data[inside] if inside else data).pop(key)


_PAGE_NAMES = f"'files' is not page names (1 to {manifest_schema.MAX_PAGE_NAME} characters) with their sha256"
FORGED = {
    "checksums-empty": (_set(checksums={}), "'checksums' is not the version's files with their sha256"),
    "checksums-list": (_set(checksums=[]), "'checksums' is not"),
    "checksums-null": (_set(checksums=None), "'checksums' is not"),
    "a-file-left-out-of-the-checksums": (_drop(layout.PASSAGES_DB, "checksums"), "lists no checksum for passages.sqlite"),
    "a-checksum-for-a-file-outside": (lambda d: d["checksums"].update({"../CURRENT": "0" * 64}), "'checksums' is not"),
    "a-checksum-not-hexadecimal": (lambda d: d["checksums"].update({layout.PASSAGES_DB: "x" * 64}), "'checksums' is not"),
    "a-page-name-empty": (lambda d: d["files"].update({"": "0" * 64}), _PAGE_NAMES),
    "a-page-name-too-long": (lambda d: d["files"].update({"\n" + "x" * manifest_schema.MAX_PAGE_NAME: "0" * 64}),
                             _PAGE_NAMES),
    "retrieval-null": (_set(retrieval=None), "'retrieval' is not"),
    "retrieval-without-signals": (_drop("signals", "retrieval"), "'retrieval' is not"),
    "vector-engine-bogus": (_set(vector_engine="bogus"), "'vector_engine' is not one of faiss, qdrant-local, qdrant-server"),
    "index-type-of-another-engine": (_set(index_type="qdrant-hnsw"), "'index_type' does not belong to its 'vector_engine'"),
    "passages-negative": (_set(passages=-1), "'passages' is not"),
    "passages-true": (_set(passages=True), "'passages' is not"),
    "dimensions-as-text": (_set(dimensions="384"), "'dimensions' is not"),
    "backend-unknown": (_set(backend="cuda"), "'backend' is not"),
    "built-at-not-a-time": (_set(built_at="yesterday"), "'built_at' is not"),
    "build-seconds-infinite": (_set(build_seconds=float("inf")), "unreadable manifest"),
    "a-field-missing": (_drop("files"), "has no field 'files'"),
    "a-field-unknown": (_set(surprise=1), "1 field(s) this release does not know"),
    "another-versions-manifest": (_set(version="v20000101T000000.000000000-abcdef"), "manifest names another version"),
}


@pytest.mark.usefixtures("one_model")
@pytest.mark.parametrize("sealed", [True, False], ids=["checksum-forged", "checksum-kept"])
@pytest.mark.parametrize("case", FORGED)
def test_a_changed_manifest_is_damage_in_one_line(index_copy, capsys, monkeypatch, encoder, case, sealed):
    change, message = FORGED[case]
    data = _manifest_data(index_copy)
    change(data)
    raw = json.dumps(data, indent=2).encode()
    if sealed:
        reseal(current_folder(index_copy), raw)
    else:  # as the tester did: the manifest edited, its checksum left as it was
        (current_folder(index_copy) / layout.MANIFEST_FILE).write_bytes(raw)
        message = "manifest is damaged (checksum mismatch)"

    code = cli.main(["search", "what foods should I avoid", "--index", str(index_copy)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and one_line(err) and err.startswith("nets-search: error: "), err
    assert message in err and err.rstrip().endswith("run: nets-search build"), err
    assert cli.main(["versions", "--index", str(index_copy)]) == 0
    assert f"* {store.current_version(index_copy)}  damaged: " in capsys.readouterr().out


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b"null", b"[" * 100_000, b"\xff\xfe{}"],
                         ids=["not-json", "a-list", "null", "nested-too-deep", "not-utf8"])
def test_a_manifest_that_is_not_a_json_object_is_refused_even_with_a_forged_checksum(index_copy, raw):
    reseal(current_folder(index_copy), raw)
    with pytest.raises(IndexCorruptError, match="unreadable manifest; run: nets-search build"):
        store.open_current(index_copy)


SEAL_DAMAGE = {
    "deleted": (lambda f: (f / layout.MANIFEST_SUM_FILE).unlink(), "manifest.sha256: missing, so the manifest cannot be checked"),
    "emptied": (lambda f: (f / layout.MANIFEST_SUM_FILE).write_text(""), "not a checksum of the manifest"),
    "garbage": (lambda f: (f / layout.MANIFEST_SUM_FILE).write_bytes(bytes(range(256))), "not a checksum of the manifest"),
    "a-folder": (lambda f: ((f / layout.MANIFEST_SUM_FILE).unlink(), (f / layout.MANIFEST_SUM_FILE).mkdir()), "manifest.sha256: cannot be read"),
}


@pytest.mark.parametrize(("name", "fits"), [("x", True), ("é" * manifest_schema.MAX_PAGE_NAME, True), ("", False),
                                            ("x" * (manifest_schema.MAX_PAGE_NAME + 1), False)],
                         ids=["one-character", "the-longest", "empty", "one-too-long"])
def test_page_names_in_the_manifest_are_1_to_max_page_name_characters(index_copy, name, fits):
    """The limit corpus loading refuses a doc id (`_id`) by, before a build embeds anything."""
    data = _manifest_data(index_copy)
    data["files"][name] = "0" * 64
    assert manifest_schema.problem(data, layout.REQUIRED_FILES) == (None if fits else f"the manifest's {_PAGE_NAMES}")


def test_corpus_loading_refuses_page_ids_by_the_schemas_limit():
    """So that no page id reaches a build's embedding only to fail the schema as a damaged manifest."""
    from nets_search.corpus import pages as corpus

    assert corpus.MAX_PAGE_ID_CHARS == manifest_schema.MAX_PAGE_NAME


@pytest.mark.parametrize("case", SEAL_DAMAGE)
def test_a_missing_or_damaged_manifest_checksum_is_damage(index_copy, case):
    damage, message = SEAL_DAMAGE[case]
    damage(current_folder(index_copy))
    with pytest.raises(IndexCorruptError, match=re.escape(message)) as caught:
        store.open_current(index_copy)
    assert "\n" not in str(caught.value)


def _nets_search(*argv) -> subprocess.CompletedProcess:
    """The command in a process of its own: a read that blocks fails the test at the timeout instead of hanging it."""
    return subprocess.run([sys.executable, "-m", "nets_search.cli.main", *map(str, argv)], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("name", [layout.MANIFEST_FILE, layout.MANIFEST_SUM_FILE])
def test_a_named_pipe_in_place_of_the_manifest_or_its_checksum_is_one_line_never_a_wait(index_copy, name):
    """Opened without blocking, a named pipe (which no one writes) is damage at once: search, rollback to it and
    versions each say so in one line; a rollback away from it still works."""
    older, newer = store.current_version(index_copy), add_version(index_copy)
    pipe = store.version_dir(index_copy, newer) / name
    pipe.unlink()
    os.mkfifo(pipe)
    damage = f"{pipe}: cannot be read (not a regular file); run: nets-search build"

    for argv in (["search", "what foods should I avoid"], ["rollback", newer]):
        done = _nets_search(*argv, "--index", index_copy)
        assert done.returncode == 2 and done.stdout == "" and done.stderr == f"nets-search: error: {damage}\n"
    done = _nets_search("versions", "--index", index_copy)
    assert done.returncode == 0 and done.stderr == ""
    assert f"* {newer}  damaged: {damage}\n" in done.stdout and f"  {older}  built " in done.stdout
    done = _nets_search("rollback", "--index", index_copy)
    assert done.returncode == 0 and store.current_version(index_copy) == older, done.stderr


FILE_DAMAGE = {
    "a-file-added": (lambda f: (f / "extra.json").write_text("{}"), "1 file(s) that the manifest does not list"),
    "a-listed-file-deleted": (lambda f: (f / layout.VERSION_GLOSSARY_FILE).unlink(), "glossary.json: index file missing"),
    "a-listed-file-now-a-folder": (lambda f: ((f / layout.VERSION_GLOSSARY_FILE).unlink(), (f / layout.VERSION_GLOSSARY_FILE).mkdir()),
                                   "glossary.json: index file missing"),
    "a-lexical-file-deleted": (lambda f: (f / "lexical" / "vocab.index.json").unlink(), "vocab.index.json: index file missing"),
}


@pytest.mark.parametrize("case", FILE_DAMAGE)
def test_every_file_of_a_version_is_checked_and_no_unlisted_one_is_read(index_copy, encoder, case):
    damage, message = FILE_DAMAGE[case]
    damage(current_folder(index_copy))
    with pytest.raises(IndexCorruptError, match=re.escape(message) + ".*run: nets-search build"):
        Searcher(index_copy, encoder=encoder)


def test_a_built_version_lists_every_file_and_its_manifest_has_a_checksum_beside_it(index_copy):
    folder = current_folder(index_copy)
    manifest = manifest_file.read_manifest(folder)
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert set(manifest.checksums) == files - {layout.MANIFEST_FILE, layout.MANIFEST_SUM_FILE}
    assert set(layout.REQUIRED_FILES) <= set(manifest.checksums)
    digest = hashlib.sha256((folder / layout.MANIFEST_FILE).read_bytes()).hexdigest()
    assert (folder / layout.MANIFEST_SUM_FILE).read_text() == f"{digest}  manifest.json\n"  # as sha256sum writes it


def _as_format_4(folder: Path, data: dict) -> None:
    """No manifest.sha256 yet."""
    (folder / layout.MANIFEST_FILE).write_text(json.dumps({**data, "format_version": 4}, indent=2))
    (folder / layout.MANIFEST_SUM_FILE).unlink()


def _as_format_5(folder: Path, data: dict) -> None:
    """Sealed, its BM25, fusion and signal settings named 'lexical'."""
    older = {**{k: v for k, v in data.items() if k != "retrieval"}, "lexical": data["retrieval"], "format_version": 5}
    reseal(folder, json.dumps(older, indent=2, sort_keys=True).encode())


OLDER_FORMATS = {
    "4-without-a-checksum": (_as_format_4, "built by an older release (index format 4, without a checksum of its "
                                           "manifest); run: nets-search build"),
    "5-with-lexical-settings": (_as_format_5, f"the index uses format 5, this version reads format "
                                              f"{layout.FORMAT_VERSION}; run: nets-search build"),
}


@pytest.mark.usefixtures("one_model")
@pytest.mark.parametrize("older", OLDER_FORMATS)
def test_a_version_of_an_older_format_asks_for_a_build_that_needs_no_embedding(index_copy, capsys, monkeypatch,
                                                                             encoder, older):
    """Versions of an older format (4: no manifest.sha256; 5: the retrieval settings named 'lexical') are not
    opened: one line asks for a build, which reuses the embedding cache, and the new version answers."""
    question = ["search", "what foods should I avoid", "--index", str(index_copy)]
    assert cli.main(question) == 0
    answer = capsys.readouterr().out
    rewrite, message = OLDER_FORMATS[older]
    rewrite(current_folder(index_copy), _manifest_data(index_copy))

    assert cli.main(question) == 2
    out, err = capsys.readouterr()
    assert out == "" and one_line(err)
    assert message in err

    assert cli.main(["build", "--corpus", str(corpus_of(index_copy)), "--index", str(index_copy), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Built index") and "(0 embedded," in out, out
    assert store.open_current(index_copy)[0].format_version == layout.FORMAT_VERSION
    assert cli.main(question) == 0 and capsys.readouterr().out == answer  # the same pages, vectors and calibration


@pytest.mark.parametrize("name", [layout.MANIFEST_FILE, layout.MANIFEST_SUM_FILE])
def test_every_single_bit_flip_of_the_manifest_or_its_checksum_is_noticed(index_copy, name):
    """Exhaustive: each bit of the file flipped in turn. The tester's 1,392 flips that changed the manifest
    unnoticed, and 10 that gave tracebacks, are all refused now, each in the same one line."""
    folder = current_folder(index_copy)
    original = (folder / name).read_bytes()
    missed, messages = [], set()
    with in_place(folder / name) as put:
        for bit in range(len(original) * 8):
            at = bit // 8
            put(flip(original, bit)[at : at + 1], at)
            try:
                store.open_current(index_copy)
            except IndexCorruptError as exc:
                messages.add(str(exc))
            else:
                missed.append(bit)
            put(original[at : at + 1], at)
    assert not missed, f"{len(missed)} flips unnoticed"
    expected = {f"{folder / layout.MANIFEST_FILE}: manifest is damaged (checksum mismatch); run: nets-search build"}
    if name == layout.MANIFEST_SUM_FILE:
        expected.add(f"{folder / name}: not a checksum of the manifest; run: nets-search build")
    assert messages and messages <= expected, messages
    store.open_current(index_copy)


def test_a_single_bit_flip_with_a_forged_checksum_is_refused_or_well_formed_never_a_traceback(index_copy):
    """Exhaustive, with the checksum forged to match each flipped manifest: only the schema stands between the flip
    and the code that trusts the manifest. Every flip is refused in one line or gives a manifest that fits the
    schema (a changed digit of a date or of a checksum, which the files' own checksums then catch); any other
    exception fails this test."""
    folder = current_folder(index_copy)
    original = (folder / layout.MANIFEST_FILE).read_bytes()
    refused = accepted = 0
    with in_place(folder / layout.MANIFEST_FILE) as put, in_place(folder / layout.MANIFEST_SUM_FILE) as put_sum:
        for bit in range(len(original) * 8):
            at, flipped = bit // 8, flip(original, bit)
            put(flipped[at : at + 1], at)
            put_sum(sum_line(flipped), 0)
            try:
                manifest = manifest_file.read_manifest(folder)
                manifest_file.check_compatible(manifest, None)
            except NetsSearchError as exc:
                assert "\n" not in str(exc) and str(exc).endswith(store.REBUILD_HINT)
                refused += 1
            else:
                assert manifest_schema.problem(dataclasses.asdict(manifest), layout.REQUIRED_FILES) is None
                accepted += 1
            put(original[at : at + 1], at)
    assert refused > accepted > 0
    store.open_current(index_copy)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_flipped_manifest_through_the_commands_is_one_line_and_nothing_switches(index_copy, capsys, data):
    path = current_folder(index_copy) / layout.MANIFEST_FILE
    original = path.read_bytes()
    version = store.current_version(index_copy)
    path.write_bytes(flip(original, data.draw(st.integers(0, len(original) * 8 - 1), label="bit")))
    try:
        for command, code in ((["search", "flushing"], 2), (["rollback", version], 2), (["versions"], 0)):
            assert cli.main([*command, "--index", str(index_copy)]) == code
            out, err = capsys.readouterr()
            assert "Traceback" not in err
            if code == 2:
                assert out == "" and one_line(err) and "manifest is damaged (checksum mismatch)" in err, err
            else:
                assert f"* {version}  damaged: " in out
        assert store.current_version(index_copy) == version
    finally:
        path.write_bytes(original)
