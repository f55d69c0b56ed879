"""Faults during a build: a full disk at each write, a real full (tiny) filesystem, and SIGKILL in the middle of a
write or between the two renames of the switch (issue 6, item 2).

test_build.py already kills builds at stage boundaries (loaded, embedded, vectors-written, passages-written,
verified) and test_store.py covers damaged files and format/model mismatches; this file adds what they do not.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from nets_search.atomic_write import partials_of
from nets_search.cli import main as cli
from nets_search.evaluate import runs as evaluate
from nets_search.index import layout, store
from nets_search.build.build import build_index
from nets_search.errors import EvaluationError
from nets_search.evaluate.golden_file import add_golden_question, complete_golden_question
from nets_search.evaluate.golden import GOLDEN_FILE_NAME, load_golden
from nets_search.evaluate.golden_check import GOLDEN_STATE_FILE
from nets_search.search.searcher import Searcher

from .conftest import REPO, library_pages_into, page
from .index_copies import add_version, copy_index, fill_disk_at, index_copy, one_line  # noqa: F401 (a fixture)

OLD_SLEEP = page("Sleep", ("Resting well", "Tiredness is common and short naps can help with fatigue. " * 4))
NEW_SLEEP = page("Sleep", ("Resting well", "Melatonin is a hormone that helps the body sleep at night. " * 4))
PAGES = {
    "flushing.md": page("Flushing", ("Why the face goes red", "Flushing of the skin happens when hormones enter the blood. " * 4)),
    "diet.md": page("Diet", ("Foods to avoid", "Foods rich in tryptophan such as cheese and chocolate can trigger symptoms. " * 3)),
    "sleep.md": OLD_SLEEP,
}


@pytest.fixture
def site(one_model, make_corpus, tmp_path, encoder, monkeypatch) -> tuple[Path, Path, str]:
    """(corpus, index, version in use). The index answers with OLD_SLEEP; the corpus already holds NEW_SLEEP."""
    corpus = make_corpus(PAGES)
    index = tmp_path / "index"
    version = build_index(corpus, index, encoder=encoder).version
    (corpus / "sleep.md").write_text(NEW_SLEEP, encoding="utf-8")
    return corpus, index, version


@pytest.fixture
def site_embedded(site, encoder) -> tuple[Path, Path, str]:
    """As `site`, with NEW_SLEEP's passage already in the embedding cache, so a build needs no model."""
    corpus, index, _ = site
    build_index(corpus, index, encoder=encoder)
    (corpus / "sleep.md").write_text(OLD_SLEEP, encoding="utf-8")
    version = build_index(corpus, index, encoder=encoder).version
    (corpus / "sleep.md").write_text(NEW_SLEEP, encoding="utf-8")
    return corpus, index, version


@pytest.fixture
def library_site_embedded(one_model, make_corpus, tmp_path, encoder, monkeypatch, library_index) -> tuple[Path, Path, str]:
    """As `site_embedded`, with the NETs library's 31 pages beside the three small ones (its vectors taken from
    the session's library build, so only the small pages are embedded here)."""
    corpus = make_corpus(PAGES)
    library_pages_into(corpus)
    index = tmp_path / "index"
    (index / "cache").mkdir(parents=True)
    shutil.copy(library_index / "cache" / "embeddings.sqlite", index / "cache" / "embeddings.sqlite")
    (corpus / "sleep.md").write_text(NEW_SLEEP, encoding="utf-8")
    build_index(corpus, index, encoder=encoder)
    (corpus / "sleep.md").write_text(OLD_SLEEP, encoding="utf-8")
    version = build_index(corpus, index, encoder=encoder).version
    (corpus / "sleep.md").write_text(NEW_SLEEP, encoding="utf-8")
    return corpus, index, version


def versions(index: Path) -> set[str]:
    return {p.name for p in (index / "versions").iterdir()}


def answer(index: Path, encoder) -> str:
    return Searcher(index, encoder=encoder).search("how can I sleep better at night", k=1).results[0].passage.text


def assert_old_index_in_use(index: Path, encoder, version: str, kept: set[str]) -> None:
    assert store.current_version(index) == version
    assert versions(index) == kept, "the failed build left files behind"
    assert not partials_of(index / layout.CURRENT_FILE)
    store.open_current(index)  # format, model and every checksum
    assert "Tiredness is common" in answer(index, encoder)


def assert_next_build_succeeds(corpus: Path, index: Path, encoder, old: str) -> None:
    report = build_index(corpus, index, encoder=encoder)
    assert report.version != old and store.current_version(index) == report.version
    assert not any(name.startswith(".tmp") for name in versions(index))
    assert "Melatonin" in answer(index, encoder)


# --------------------------------------------------------------------------- a full disk, simulated at each write


def _no_space(path: object = None) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), None if path is None else str(path))


def _half_then_fail(path: Path, data: bytes, exc: BaseException):
    Path(path).write_bytes(data[: len(data) // 2])
    raise exc


def _sqlite_full() -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError("database or disk is full")
    exc.sqlite_errorcode = sqlite3.SQLITE_FULL  # as SQLite sets it
    return exc


def _fail_cache_put(self, *args, **kwargs):
    raise _sqlite_full()


_real_write_bytes = Path.write_bytes


def _fail_vectors_write(self, data):
    """The engine's own writer (FAISS's serialised index, or Qdrant local mode's NumPy file) runs; the disk fills
    half way through its file."""
    if self.name == layout.VECTORS_FILE:
        _real_write_bytes(self, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")
    return _real_write_bytes(self, data)


def _fail_passage_store(path, *_):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE pages (doc_id TEXT)")
    db.close()
    raise _sqlite_full()


def _fail_lexical_save(self, folder):
    (Path(folder) / "data.csc.index.npy").write_bytes(b"\x93NUMPY")
    raise _no_space(Path(folder) / "data.csc.index.npy")


def _fail_manifest(folder, manifest):
    _half_then_fail(Path(folder) / layout.MANIFEST_FILE, b'{"format_version": 1, "version": "v', _no_space())


def _patched(target: str, fault):
    return lambda monkeypatch, index: monkeypatch.setattr(target, fault)


def _beside(name: str) -> str:
    """The new file written beside `name` before it is renamed over it (atomic_write.replace_file)."""
    return rf"\.{re.escape(name)}\..+\.tmp"


def _os_call(call: str, name: str, no_lock_yet: bool = False):
    """The disk is full for one system call on one file (index_copies.fill_disk_at); with `no_lock_yet`, the
    index has no build.lock yet (the tester's case: a first build, or one after the lock file was removed)."""
    def install(monkeypatch, index: Path) -> None:
        if no_lock_yet:
            (index / layout.LOCK_FILE).unlink(missing_ok=True)
        fill_disk_at(monkeypatch, call, name)
    return install


NO_SPACE = "No space left on device"
FULL_DISK_AT = {  # every write a build makes, in order
    "lock-file-created": (_os_call("open", r"build\.lock", no_lock_yet=True), NO_SPACE),
    "lock-holder-no-lock-yet": (_os_call("pwrite", r"build\.lock", no_lock_yet=True), NO_SPACE),
    "lock-holder": (_os_call("pwrite", r"build\.lock"), NO_SPACE),
    "embedding-cache": (_patched("nets_search.index.embedding_cache.EmbeddingCache.put", _fail_cache_put), "database or disk is full"),
    "staging-folder": (_os_call("mkdir", r"\.tmp-v.*"), NO_SPACE),
    "vectors": (_patched("pathlib.Path.write_bytes", _fail_vectors_write), NO_SPACE),
    "passage-store": (_patched("nets_search.index.passage_store.write_passage_store", _fail_passage_store), "database or disk is full"),
    "lexical": (_patched("nets_search.index.lexical.LexicalIndex.save", _fail_lexical_save), NO_SPACE),
    "glossary": (_os_call("write", _beside("glossary.json")), NO_SPACE),
    "manifest": (_patched("nets_search.index.manifest_file.write_manifest", _fail_manifest), NO_SPACE),
    "manifest-written": (_os_call("write", _beside("manifest.json")), NO_SPACE),
    "manifest-renamed": (_os_call("replace", r"manifest\.json"), NO_SPACE),
    "manifest-checksum": (_os_call("write", _beside("manifest.sha256")), NO_SPACE),
    "publish": (_os_call("replace", r"from:\.tmp-v.*"), NO_SPACE),
    "pointer": (_os_call("write", _beside("CURRENT")), NO_SPACE),
    "switch": (_os_call("replace", r"CURRENT"), NO_SPACE),
}


@pytest.mark.parametrize("where", FULL_DISK_AT)
def test_a_full_disk_at_any_write_keeps_the_old_index_and_says_so_in_one_line(site, capsys, encoder, monkeypatch, where):
    corpus, index, before = site
    kept = versions(index)
    install, reason = FULL_DISK_AT[where]
    install(monkeypatch, index)

    code = cli.main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith(f"nets-search: error: could not write the index in {index} ({reason}")
    assert err.rstrip().endswith("MB free); the index in use is unchanged; free some space, then run: nets-search build")
    assert_old_index_in_use(index, encoder, before, kept)

    monkeypatch.undo()  # space freed
    monkeypatch.setattr("nets_search.encode.encoder.Encoder", lambda *a, **k: encoder)
    assert_next_build_succeeds(corpus, index, encoder, before)


def _leftovers(index: Path) -> list[str]:
    """Anything half-written: temporary files and staging folders."""
    return [p.name for p in index.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".tmp-")]


ROLLBACK_FULL_DISK_AT = {
    "lock-file-created": _os_call("open", r"build\.lock", no_lock_yet=True),
    "lock-holder-no-lock-yet": _os_call("pwrite", r"build\.lock", no_lock_yet=True),
    "lock-holder": _os_call("pwrite", r"build\.lock"),
    "pointer": _os_call("write", _beside("CURRENT")),
    "switch": _os_call("replace", r"CURRENT"),
    "a-current-folder-moved-aside": _os_call("rename", r"CURRENT\.damaged-.*"),
}


@pytest.mark.parametrize("where", ROLLBACK_FULL_DISK_AT)
def test_a_full_disk_during_a_rollback_is_one_line_and_changes_nothing(index_copy, capsys, monkeypatch, where):
    older = store.current_version(index_copy)
    newer = add_version(index_copy)
    if where == "a-current-folder-moved-aside":  # CURRENT damaged into a folder: the rollback that repairs it fails
        (index_copy / layout.CURRENT_FILE).unlink()
        (index_copy / layout.CURRENT_FILE).mkdir()
    pointer = store.current_version(index_copy)
    ROLLBACK_FULL_DISK_AT[where](monkeypatch, index_copy)

    code = cli.main(["rollback", older, "--index", str(index_copy)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and one_line(err), err
    assert err.startswith(f"nets-search: error: could not write the index in {index_copy} (No space left on device; ")
    assert err.rstrip().endswith("MB free); the index in use is unchanged; free some space, then run: nets-search rollback")
    assert store.current_version(index_copy) == pointer and not _leftovers(index_copy)
    if pointer is not None:
        assert store.open_current(index_copy)[0].version == newer

    monkeypatch.undo()
    assert cli.main(["rollback", older, "--index", str(index_copy)]) == 0
    assert store.open_current(index_copy)[0].version == older and not _leftovers(index_copy)


def _fail_copy(source, target, *args, **kwargs):
    Path(target).write_bytes(Path(source).read_bytes()[:10])
    raise _no_space(target)


CALIBRATE_FULL_DISK_AT = {
    "staging-folder": _os_call("mkdir", r"\.tmp-v.*"),
    "copy": _patched("shutil.copy2", _fail_copy),
    "calibration": _os_call("replace", r"calibration\.json"),
    "manifest-written": _os_call("write", _beside("manifest.json")),
    "manifest-checksum": _os_call("write", _beside("manifest.sha256")),
    "publish": _os_call("replace", r"from:\.tmp-v.*"),
    "pointer": _os_call("write", _beside("CURRENT")),
    "switch": _os_call("replace", r"CURRENT"),
    "out-file": _os_call("replace", r"fitted\.json"),
}


@pytest.mark.usefixtures("one_model")
@pytest.mark.parametrize("where", CALIBRATE_FULL_DISK_AT)
def test_a_full_disk_during_a_calibration_is_one_line_and_changes_nothing(seed_index, tmp_path, capsys, monkeypatch,
                                                                          encoder, where):
    """`nets-search calibrate` switches in a copy of the version in use with the new fit (or writes it to --out).
    The fit itself is stood in for by the package's calibration: only the writes matter here."""
    from nets_search.search.confidence import Calibration

    index = copy_index(seed_index, tmp_path / "index")
    before, kept = store.current_version(index), versions(index)
    monkeypatch.setattr("nets_search.build.calibrate.calibrate", lambda search, labelled: Calibration.load())
    command = ["calibrate", "--index", str(index), "--corpus", str(seed_index.parent / "corpus")]
    if where == "out-file":
        command += ["--out", str(tmp_path / "fitted.json")]
    CALIBRATE_FULL_DISK_AT[where](monkeypatch, index)

    code = cli.main(command)
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and one_line(err) and "(No space left on device" in err, err
    assert store.current_version(index) == before and versions(index) == kept
    assert not _leftovers(index) and not _leftovers(tmp_path) and not (tmp_path / "fitted.json").exists()
    store.open_current(index)


# --------------------------------------------------------------------------- after a build is published

GOLDEN_LINES = (
    '{"id": "s1", "question": "how can I sleep better at night", "expect": [["sleep"]]}',
    '{"id": "o1", "question": "how do I reset my router", "out_of_scope": true}',
)
PENDING_LINE = '{"id": "f1", "question": "can I eat cheese", "expect": [], "todo": "fill in"}'
GOLDEN_STATE_FULL_DISK_AT = {  # the golden check's record of today's answers, written after the switch
    "created": _os_call("open", _beside("golden-ranks.json")),
    "written": _os_call("write", _beside("golden-ranks.json")),
    "renamed": _os_call("replace", r"golden-ranks\.json"),
}


@pytest.mark.parametrize("where", GOLDEN_STATE_FULL_DISK_AT)
def test_a_full_disk_when_the_golden_answers_are_recorded_is_a_warning_of_a_build_that_succeeded(
        site, capsys, encoder, monkeypatch, where):
    """The new version is already in use when the golden check records today's answers: the build is not reported
    as failed, and the answers recorded before stay whole for the next build to compare with."""
    corpus, index, _ = site
    (corpus / GOLDEN_FILE_NAME).write_text("\n".join(GOLDEN_LINES) + "\n", encoding="utf-8")
    assert cli.main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet"]) == 0
    state = index / GOLDEN_STATE_FILE
    recorded = state.read_bytes()
    (corpus / "sleep.md").write_text(OLD_SLEEP, encoding="utf-8")
    capsys.readouterr()
    GOLDEN_STATE_FULL_DISK_AT[where](monkeypatch, index)

    code = cli.main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err and out.startswith("Built index"), err
    assert (f"  warning: today's golden answers were not recorded in {state} (No space left on device); the next "
            "build compares with the ones recorded before") in out.splitlines()
    assert state.read_bytes() == recorded and not _leftovers(index)
    assert "Tiredness is common" in answer(index, encoder)


# --------------------------------------------------------------------------- files written outside an index

FIGURES = "figures.json"
OUTSIDE_INDEX_WRITES = {  # (the write, the file it replaces, what it raises)
    "golden-question-added": (lambda folder: add_golden_question(folder / GOLDEN_FILE_NAME, "can I drink wine"),
                              GOLDEN_FILE_NAME, OSError),
    "golden-question-finished": (lambda folder: complete_golden_question(folder / GOLDEN_FILE_NAME, "f1", "Cheese."),
                                 GOLDEN_FILE_NAME, OSError),
    "eval-figures": (lambda folder: evaluate.write_json(folder / FIGURES, {"hit@1": 0.5}), FIGURES, EvaluationError),
}
STEPS = {"created": "open", "written": "write", "renamed": "replace"}  # of the new file written beside


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("what", OUTSIDE_INDEX_WRITES)
def test_a_full_disk_leaves_an_editor_or_evaluation_file_as_it_was_and_nothing_beside_it(tmp_path, monkeypatch,
                                                                                          what, step):
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / GOLDEN_FILE_NAME).write_text(f"{GOLDEN_LINES[0]}\n{PENDING_LINE}\n", encoding="utf-8")
    (folder / FIGURES).write_text('{"hit@1": 0.25}\n', encoding="utf-8")
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    write, name, error = OUTSIDE_INDEX_WRITES[what]
    fill_disk_at(monkeypatch, STEPS[step], re.escape(name) if step == "renamed" else rf"\.{re.escape(name)}\..+")

    with pytest.raises(error) as caught:
        write(folder)
    assert NO_SPACE in str(caught.value) and "\n" not in str(caught.value)
    if error is EvaluationError:
        assert str(caught.value) == (f"{folder / name}: could not write the figures (No space left on device); "
                                     "free some space, then run it again")
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before

    monkeypatch.undo()  # space freed
    write(folder)
    assert sorted(path.name for path in folder.iterdir()) == sorted(before)
    assert (folder / name).read_bytes() != before[name]
    load_golden(folder / GOLDEN_FILE_NAME)


# --------------------------------------------------------------------------- a damaged index


def test_a_damaged_index_is_reported_in_one_line_and_the_build_it_asks_for_repairs_it(site_embedded, capsys, encoder):
    corpus, index, before = site_embedded
    (corpus / "sleep.md").write_text(OLD_SLEEP, encoding="utf-8")  # nothing to change: only the damage to repair
    vectors = store.version_dir(index, before) / layout.VECTORS_FILE
    vectors.write_bytes(vectors.read_bytes()[:100])

    code = cli.main(["search", "how can I sleep", "--index", str(index)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "passage-vectors: index file is corrupted (checksum mismatch); run: nets-search build" in err

    code = cli.main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0 and err == "" and out.startswith("Built index"), out
    assert f"warning: the index in use ({before}) was damaged; a complete new version replaces it" in out
    assert store.current_version(index) != before and "Tiredness is common" in answer(index, encoder)


# --------------------------------------------------------------------------- a real full filesystem (tmpfs)

FULL_FS_SCRIPT = r"""
import contextlib, io, json, os, shutil, subprocess, sys
from pathlib import Path

source, corpus, mount, out = map(Path, sys.argv[1:5])
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True).returncode:
    sys.exit(77)
from nets_search.cli import main as cli

results = []
for free_kb in map(int, sys.argv[5].split(",")):
    index = mount / "index"
    shutil.copytree(source, index, symlinks=True)
    stat = os.statvfs(mount)
    try:
        with open(mount / "filler", "wb") as handle:
            handle.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - free_kb * 1024))
    except OSError:
        pass
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet"])
    shutil.copytree(index, out / f"free-{free_kb}", symlinks=True)
    results.append({"free_kb": free_kb, "code": code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()})
    shutil.rmtree(index)
    os.unlink(mount / "filler")
print(json.dumps(results))
"""
FREE_KB = (*range(0, 72, 2), 1024)  # every write of a build meets the full disk at one of these


def test_a_really_full_filesystem_keeps_the_old_index(site_embedded, encoder, tmp_path):
    """A 2 MB tmpfs, mounted in a private user+mount namespace, filled to leave a little room each time."""
    if not shutil.which("unshare"):
        pytest.skip("unshare is not installed")
    corpus, index, before = site_embedded
    kept = versions(index)
    (tmp_path / "mnt").mkdir()
    (tmp_path / "out").mkdir()
    run = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-c", FULL_FS_SCRIPT,
         str(index), str(corpus), str(tmp_path / "mnt"), str(tmp_path / "out"), ",".join(map(str, FREE_KB))],
        capture_output=True, text=True, cwd=REPO,
    )
    if run.returncode == 77 or "Operation not permitted" in run.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {run.stderr.strip()[-200:]}")
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout.splitlines()[-1])
    for result in results:
        copy = tmp_path / "out" / f"free-{result['free_kb']}"
        print(result["free_kb"], "KB free:", result["code"], (result["stderr"] or result["stdout"]).splitlines()[0])
        if result["code"] == 0:
            assert store.current_version(copy) != before and "Melatonin" in answer(copy, encoder)
            continue
        assert result["code"] == 2 and result["stdout"] == ""
        assert result["stderr"].count("\n") == 1 and "Traceback" not in result["stderr"]
        assert result["stderr"].startswith("nets-search: error: could not write the index in ")
        assert "the index in use is unchanged" in result["stderr"]
        assert_old_index_in_use(copy, encoder, before, kept)
    codes = [r["code"] for r in results]
    assert codes[0] == 2 and codes[-1] == 0, "the filesystem was never full, or never had room"


FULL_FS_COMMAND_SCRIPT = r"""
import contextlib, io, json, os, shutil, subprocess, sys
from pathlib import Path

source, corpus, mount = map(Path, sys.argv[1:4])
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True).returncode:
    sys.exit(77)
from nets_search.cli import main as cli

results = []
for command in (["build", "--corpus", str(corpus), "--quiet"], ["rollback"]):
    index = mount / "index"
    shutil.copytree(source, index, symlinks=True)
    os.unlink(index / "build.lock")  # none yet: the first thing either command writes
    pointer = (index / "CURRENT").read_bytes()
    stat = os.statvfs(mount)
    try:
        with open(mount / "filler", "wb") as handle:  # nothing left free
            handle.write(b"\0" * stat.f_bavail * stat.f_frsize)
    except OSError:
        pass
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main([*command, "--index", str(index)])
    results.append({"command": command[0], "code": code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
                    "pointer_unchanged": (index / "CURRENT").read_bytes() == pointer,
                    "leftovers": [p.name for p in index.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".tmp-")]})
    shutil.rmtree(index)
    os.unlink(mount / "filler")
print(json.dumps(results))
"""


def test_a_build_or_rollback_on_a_really_full_filesystem_without_a_lock_file_is_one_line(site_embedded, tmp_path):
    """The tester's case: 0 bytes free and no build.lock yet (tmpfs in a private user+mount namespace)."""
    if not shutil.which("unshare"):
        pytest.skip("unshare is not installed")
    corpus, index, _ = site_embedded
    (tmp_path / "mnt").mkdir()
    run = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-c", FULL_FS_COMMAND_SCRIPT,
         str(index), str(corpus), str(tmp_path / "mnt")],
        capture_output=True, text=True, cwd=REPO,
    )
    if run.returncode == 77 or "Operation not permitted" in run.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {run.stderr.strip()[-200:]}")
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout.splitlines()[-1])
    assert [r["command"] for r in results] == ["build", "rollback"]
    for result in results:
        assert result["code"] == 2 and result["stdout"] == "" and one_line(result["stderr"]), result
        assert result["stderr"].startswith("nets-search: error: could not write the index in "), result
        assert "(No space left on device; 0.0 MB free); the index in use is unchanged; free some space" in result["stderr"]
        assert result["pointer_unchanged"] and not result["leftovers"], result


# --------------------------------------------------------------------------- SIGKILL inside a write

KILL_SCRIPT = r"""
import os, signal, sqlite3, sys
from pathlib import Path
from nets_search.build import build
from nets_search.index import layout, passage_store, store

corpus, index, where = sys.argv[1:4]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if where == "vectors-mid-write":
    real_write_bytes = Path.write_bytes
    def write_bytes(self, data):  # the engine's own writer runs; killed half way through the vectors file
        if self.name != layout.VECTORS_FILE:
            return real_write_bytes(self, data)
        with open(self, "wb") as handle:
            handle.write(data[: len(data) // 2])
            handle.flush()
            die()
    Path.write_bytes = write_bytes
elif where == "sqlite-mid-transaction":
    real_write, real_connect = passage_store.write_passage_store, sqlite3.connect
    def connect(*args, **kwargs):
        db = real_connect(*args, **kwargs)
        db.set_progress_handler(die, 20)  # SIGKILL after a few SQLite steps, inside the writes
        return db
    def write(*args):
        passage_store.sqlite3 = type("patched", (), {"connect": staticmethod(connect)})
        real_write(*args)
    passage_store.write_passage_store = write
elif where == "between-renames":
    store.fsync_dir = lambda path: die()  # first called just after versions/.tmp-X became versions/X
build.build_index(corpus, index, stage=lambda name: die() if name == where else None)
"""


@pytest.mark.parametrize("corpus_kind", ["site_embedded", "library_site_embedded"])
@pytest.mark.parametrize("where", ["vectors-mid-write", "sqlite-mid-transaction", "between-renames", "published"])
def test_a_build_killed_inside_a_write_or_the_switch_leaves_one_complete_version(request, encoder, where, corpus_kind,
                                                                                 monkeypatch):
    monkeypatch.setenv("NETS_SEARCH_KEEP_VERSIONS", "2")  # fewer than the builds made here, so pruning shows
    corpus, index, before = request.getfixturevalue(corpus_kind)
    killed = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(corpus), str(index), where], cwd=REPO)
    assert killed.returncode == -9

    if where == "published":  # killed after the switch, before old versions were pruned: the new one answers
        assert store.current_version(index) != before and "Melatonin" in answer(index, encoder)
        (corpus / "sleep.md").write_text(OLD_SLEEP, encoding="utf-8")
        report = build_index(corpus, index, encoder=encoder)
        assert len(versions(index)) == 2 and store.current_version(index) == report.version
        assert "Tiredness is common" in answer(index, encoder)
        return
    assert store.current_version(index) == before
    store.open_current(index)
    assert "Tiredness is common" in answer(index, encoder)
    assert_next_build_succeeds(corpus, index, encoder, before)


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"this is not a database" * 100),
        lambda path: path.write_bytes(path.read_bytes()[:3000]),
        lambda path: _other_schema(path),
    ],
    ids=["garbage", "truncated", "wrong-schema"],
)
def test_a_damaged_embedding_cache_is_set_aside_and_the_build_succeeds(tmp_path, make_corpus, encoder, damage):
    from nets_search.build.build import build_index
    from nets_search.search.searcher import Searcher

    corpus = make_corpus({"a.md": "# A\n\nFlushing of the face after wine.\n\n## B\n\nTryptophan is in cheese."})
    index = tmp_path / "index"
    build_index(corpus, index, encoder=encoder)
    cache = index / "cache" / "embeddings.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{cache}{suffix}").unlink(missing_ok=True)
    damage(cache)
    (corpus / "c.md").write_text("# C\n\nA new page about sleep.", encoding="utf-8")
    report = build_index(corpus, index, encoder=encoder)
    cache_lines = [w for w in report.warnings if "embedding cache was damaged" in w]
    assert len(cache_lines) == 1 and "moved aside" in cache_lines[0]
    assert list((index / "cache").glob("embeddings.damaged-*.sqlite"))
    assert "tryptophan" in Searcher(index, encoder=encoder).search("cheese tryptophan").results[0].passage.text.lower()


def _other_schema(path: Path) -> None:
    import sqlite3

    path.unlink()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE embeddings (something TEXT)")
    db.close()
