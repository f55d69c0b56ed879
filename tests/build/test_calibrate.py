"""The "no good match" calibration lives in each index version, fitted on the tune part of the corpus's questions."""

import json
import shutil


from nets_search.cli import main as cli
from nets_search.index import layout, store
from nets_search.index.manifest_file import write_manifest
from nets_search.build.build import build_index
from nets_search.build.calibrate import labelled_questions
from nets_search.search.confidence import DEFAULT_CALIBRATION, VERSION_FILE, Calibration
from nets_search.evaluate.metrics import part_of
from nets_search.search.searcher import Searcher

from ..conftest import SEED_CORPUS


def _version_folder(index):
    return store.version_dir(index, store.current_version(index))


def test_a_build_fits_the_calibration_into_the_version_on_tune_questions_only(seed_index, seed_searcher):
    path = _version_folder(seed_index) / VERSION_FILE
    assert path.is_file() and VERSION_FILE in store.current_manifest(seed_index).checksums
    stored = Calibration.load(path)
    assert seed_searcher.calibration == stored
    tune = labelled_questions(SEED_CORPUS)
    assert tune and all(part_of(q.id) == "tune" for q in tune)
    assert stored.fitted_on == f"{sum(not q.out_of_scope for q in tune)} in-scope and {sum(q.out_of_scope for q in tune)} out-of-scope questions"
    assert len(labelled_questions(SEED_CORPUS, part=None)) > len(tune)  # the test part is left out


def test_a_corpus_without_questions_uses_the_package_default(tmp_path, encoder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_CORPUS / "nets-key-facts.md", corpus)
    build_index(corpus, tmp_path / "index", encoder=encoder)
    assert not (_version_folder(tmp_path / "index") / VERSION_FILE).exists()
    assert Searcher(tmp_path / "index", encoder=encoder).calibration == Calibration.load(DEFAULT_CALIBRATION)


def test_calibrate_switches_in_a_new_version_and_never_writes_the_package(tmp_path, encoder, capsys, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    index = tmp_path / "index"
    build_index(corpus, index, encoder=encoder)
    before, package = store.current_version(index), DEFAULT_CALIBRATION.read_bytes()
    monkeypatch.setattr("nets_search.encode.encoder.Encoder", lambda *a, **k: encoder)
    questions = corpus / "few.jsonl"
    lines = [{"id": f"in{i}", "question": q, "expect": [["flushing"]]} for i, q in enumerate(
        ["red face", "hot flushes", "face goes red", "flushing of the skin", "why am I flushing", "blushing a lot",
         "skin goes pink", "flushed cheeks", "warm face", "face burning", "red cheeks", "face feels hot"])]
    lines += [{"id": f"out{i}", "question": q, "out_of_scope": True} for i, q in enumerate(
        ["bake bread", "train times", "reset my router", "football scores", "knit a scarf", "tax return",
         "paint a fence", "tune a guitar", "book a flight", "learn french", "fix a puncture", "plant tulips"])]
    questions.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert cli.main(["calibrate", "--index", str(index), "--questions", str(questions)]) == 0
    after = store.current_version(index)
    assert after != before and "written to index version" in capsys.readouterr().out
    store.open_current(index)  # checksums hold for the new version
    fitted = Calibration.load(_version_folder(index) / VERSION_FILE)
    tune = [line for line in lines if part_of(line["id"]) == "tune"]
    assert fitted.fitted_on.startswith(f"{sum('expect' in line for line in tune)} in-scope")
    assert DEFAULT_CALIBRATION.read_bytes() == package


def test_calibrating_a_version_of_an_older_release_puts_its_fit_to_use(tmp_path, encoder):
    from nets_search.search import confidence as search_module
    from nets_search.build.calibrate import recalibrate
    from nets_search.evaluate.golden import load_golden

    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    index = tmp_path / "index"
    build_index(corpus, index, encoder=encoder)
    manifest_file = _version_folder(index) / layout.MANIFEST_FILE  # as an older release wrote it
    manifest = json.loads(manifest_file.read_text())
    manifest["retrieval"]["signals"] = search_module.SIGNALS_VERSION - 1
    write_manifest(manifest_file.parent, store.Manifest(**manifest))  # with its checksum, as a build writes it
    assert Searcher(index, encoder=encoder).calibration == Calibration.load()  # the old fit is set aside
    questions = [q for path in sorted(corpus.glob("*.jsonl")) for q in load_golden(path)]
    fitted, _ = recalibrate(index, questions, encoder=encoder)
    assert Searcher(index, encoder=encoder).calibration == fitted


def test_calibrate_without_questions_says_so(tmp_path, seed_index, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["calibrate", "--index", str(seed_index), "--corpus", str(empty)]) == 2
    assert "no labelled questions" in capsys.readouterr().err
