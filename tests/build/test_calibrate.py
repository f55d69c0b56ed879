"""The "no good match" calibration lives in each index version, fitted on the tune part of the corpus's questions."""

import json
import shutil

import pytest

from nets_search.cli import main as cli
from nets_search.index import layout, store
from nets_search.index.manifest_file import write_manifest
from nets_search.build.build import build_index
from nets_search.build.calibrate import BASIS_FILE, FitBasis, labelled_questions, recalibrate
from nets_search.build.label_changes import LabelChange, shown_for
from nets_search.build.rebuild import rebuild_and_check
from nets_search.search.confidence import DEFAULT_CALIBRATION, Calibration
from nets_search.evaluate.metrics import part_of
from nets_search.page.reader import EXAMPLE_QUESTIONS
from nets_search.search.searcher import Searcher

from ..conftest import SEED_CORPUS


def _version_folder(index):
    return store.version_dir(index, store.current_version(index))


def test_a_build_fits_the_calibration_into_the_version_on_tune_questions_only(seed_index, seed_searcher):
    path = _version_folder(seed_index) / layout.CALIBRATION_FILE
    assert path.is_file() and layout.CALIBRATION_FILE in store.current_manifest(seed_index).checksums
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
    assert not (_version_folder(tmp_path / "index") / layout.CALIBRATION_FILE).exists()
    assert Searcher(tmp_path / "index", encoder=encoder).calibration == Calibration.load(DEFAULT_CALIBRATION)


@pytest.mark.usefixtures("one_model")
def test_calibrate_switches_in_a_new_version_and_never_writes_the_package(tmp_path, encoder, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    index = tmp_path / "index"
    build_index(corpus, index, encoder=encoder)
    before, package = store.current_version(index), DEFAULT_CALIBRATION.read_bytes()
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
    fitted = Calibration.load(_version_folder(index) / layout.CALIBRATION_FILE)
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



# --------------------------------------------------------------------------- a stable fit (issue 28, item 3)

LANREOTIDE_PAGE = """\
---
title: "Lanreotide injections: a guide for patients"
source: ""
publisher: Example NET patient group
reviewed: 2024-05
---

# Lanreotide injections

Lanreotide is a long-acting medicine that is given as a deep injection under the skin, usually into the upper outer part of the buttock. Each dose comes in a ready-filled syringe, and the injection is normally repeated every four weeks.

Many people have their injection from a practice nurse or a community nurse. Some people, once they have been shown how, choose to give the injection themselves or ask a family member to give it at home.

## Before the injection

Take the syringe out of the fridge about half an hour before the injection so that it can reach room temperature. Keep it in its sealed pouch until you are ready. A cold injection is more uncomfortable and harder to push.

Check the expiry date and the dose printed on the pouch. Choose a different side of the buttock from the one used last time.

## After the injection

A small lump, some soreness or a little bruising where the needle went in is common and usually settles within a few days. Do not rub the area. A warm flannel can ease the discomfort.

Keep a note of the date of each injection and the side you used, so that the next one can be planned and the sites can be rotated.

## Storing and travelling

Store the syringes in their box in the fridge, between 2 and 8 degrees. If you are travelling, ask your pharmacist about a cool bag and a letter that explains why you are carrying needles.
"""

OCTREOTIDE_PAGE = """\
---
title: "Octreotide: what you need to know"
source: ""
publisher: Example NET patient group
reviewed: 2024-05
---

# Octreotide

Octreotide is a man-made version of a natural hormone. It comes in two forms: a short-acting form that is injected under the skin two or three times a day, and a long-acting form that is injected into a muscle once a month.

The short-acting form is sometimes used for a few weeks before the long-acting form is started, to find out how well it is tolerated. It can also be kept at home as a rescue dose.

## How octreotide is given

The long-acting injection is mixed from a powder and a liquid just before it is given. It is usually given by a trained nurse in a clinic or at home, into the muscle of the buttock.

Short-acting injections are given with a small needle into the fatty tissue of the tummy or thigh. A nurse will show you how to do this and how to dispose of used needles in a sharps bin.

## Appointments and supplies

Your hospital pharmacy or a home delivery company will usually supply the medicine. Order new supplies in good time, especially before bank holidays, and let the team know if a delivery is late.

Blood tests and scans are booked at regular intervals while you are on octreotide. Bring a list of any other medicines you take to each appointment.
"""

ORDER = {None: 0, "weak": 0, "related": 1, "good": 2, "strong": 3}
ASKED_IN_THE_ISSUE = (*EXAMPLE_QUESTIONS, "my husband has diarea at night is that normal")


def _labels(index, encoder, questions):
    return shown_for(Searcher(index, encoder=encoder), questions)


def test_two_unrelated_pages_leave_the_bars_and_every_example_label_as_they_were(tmp_path, encoder):
    """The issue's case: two pages about injections added to the seed page. Refitting moved the "strong or good"
    bar from 0.84 to 0.97 (an out-of-scope tune question the new pages land nearest, or answer, pushed it up), and
    "What foods should I avoid?" fell from a strong match to related with the same passage and score. The fit is
    now carried forward: its labelled questions and the pages they are about have not changed."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEED_CORPUS, corpus)
    rebuild_and_check(corpus, index, encoder=encoder)
    fitted = Searcher(index, encoder=encoder).calibration
    questions = list(dict.fromkeys(q.question for q in labelled_questions(corpus, part=None)))
    before = _labels(index, encoder, [*ASKED_IN_THE_ISSUE, *questions])
    (corpus / "lanreotide-injections.md").write_text(LANREOTIDE_PAGE, encoding="utf-8")
    (corpus / "octreotide.md").write_text(OCTREOTIDE_PAGE, encoding="utf-8")
    done = rebuild_and_check(corpus, index, encoder=encoder)
    assert done.report.added == ("lanreotide-injections", "octreotide")
    assert "calibration kept from version" in done.report.calibration
    assert Searcher(index, encoder=encoder).calibration == fitted  # the bars, to the last digit
    after = _labels(index, encoder, [*ASKED_IN_THE_ISSUE, *questions])
    assert [after[q] for q in ASKED_IN_THE_ISSUE] == [before[q] for q in ASKED_IN_THE_ISSUE]
    for question in questions:  # nothing shown lower; what the new pages' words lift is reported
        was, now = before[question], after[question]
        assert not now.no_good_match or was.no_good_match, question
        assert now.no_good_match or was.no_good_match or ORDER[now.label] >= ORDER[was.label], question
        assert (was != now) == (f"  {LabelChange(question, was, now).words()}" in done.labels), question
    refit, _ = recalibrate(index, labelled_questions(corpus), encoder=encoder, out=tmp_path / "refit.json")
    assert (refit.threshold, refit.confident) != (fitted.threshold, fitted.confident)  # what a refit would do


def test_changed_labelled_questions_refit_and_a_test_part_edit_does_not(tmp_path, encoder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEED_CORPUS, corpus)
    build_index(corpus, index, encoder=encoder)
    first = FitBasis.load(_version_folder(index))
    assert first is not None and first.fitted_in == store.current_version(index)
    test_id = next(f"new{i}" for i in range(100) if part_of(f"new{i}") == "test")
    _append_question(corpus, {"id": test_id, "question": "what is a NET", "expect": [["NETs"]]})
    report = build_index(corpus, index, encoder=encoder)
    assert "calibration kept" in report.calibration and FitBasis.load(_version_folder(index)) == first
    tune_id = next(f"new{i}" for i in range(100) if part_of(f"new{i}") == "tune")
    _append_question(corpus, {"id": tune_id, "question": "is a net a kind of cancer", "expect": [["malignant"]]})
    report = build_index(corpus, index, encoder=encoder)
    refitted = FitBasis.load(_version_folder(index))
    assert "calibrated on the tune part" in report.calibration
    assert refitted.fitted_in == store.current_version(index) and refitted.questions != first.questions


def test_an_edit_of_the_page_the_questions_are_about_refits(tmp_path, encoder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEED_CORPUS, corpus)
    build_index(corpus, index, encoder=encoder)
    page = corpus / "nets-key-facts.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nNETs are rare.\n", encoding="utf-8")
    assert "calibrated on the tune part" in build_index(corpus, index, encoder=encoder).calibration


def test_a_version_without_a_basis_is_refitted_and_a_fit_by_hand_has_none(tmp_path, seed_index, encoder):
    assert FitBasis.load(tmp_path) is None  # built by an older release: the next build refits
    (tmp_path / BASIS_FILE).write_text("{not json", encoding="utf-8")
    assert FitBasis.load(tmp_path) is None
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    recalibrate(index, labelled_questions(SEED_CORPUS, part=None), encoder=encoder)
    assert FitBasis.load(_version_folder(index)) is None


def _append_question(corpus, line: dict) -> None:
    path = corpus / "lay-questions.jsonl"
    path.write_text(path.read_text(encoding="utf-8") + json.dumps(line) + "\n", encoding="utf-8")
