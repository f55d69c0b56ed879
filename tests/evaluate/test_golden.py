"""Golden-question files: phrases matched as an editor writes them, the format's rules in words, the project's own
files well formed; and read without trusting them: a line no JSON reader should be asked to parse (a number of
thousands of digits, brackets nested 100,000 deep) is one problem on one line for every reader of the file (the
build's calibration and golden check, `eval`, `calibrate`, the editor panel), and the files are read as corpus
files are (no pipe waited on, a size limit)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from nets_search.cli import main as cli
from nets_search.build.changes import file_hashes
from nets_search.errors import EvaluationError, NetsSearchError
from nets_search.evaluate.golden import MAX_GOLDEN_BYTES, GoldenQuestion, fold, load_golden, passage_matches
from nets_search.evaluate.golden_file import add_golden_question, complete_golden_question, unfinished_golden_questions
from nets_search.jsonl import MAX_DEPTH, MAX_NUMBER_DIGITS
from nets_search.corpus.glossary import Glossary
from nets_search.text import sha256_text

from ..conftest import SEED_CORPUS, page
from .conftest import write

GOLDEN = SEED_CORPUS / "golden-questions.jsonl"
GOOD = '{"id": "g1", "question": "why does my face go red", "expect": [["flushing"]]}'
PENDING = '{"id": "f1", "question": "can I eat cheese", "expect": [], "todo": "fill in"}'
HOSTILE = {  # (line, what the reader is told about it)
    "a 5,000-digit number": ('{"id": ' + "7" * 5000 + ', "question": "how big", "expect": [["x"]]}',
                             f"a number of more than {MAX_NUMBER_DIGITS} digits"),
    "a negative 5,000-digit number": ('{"id": "n", "question": "q", "expect": [["x"]], "note": -' + "7" * 5000 + "}",
                                      f"a number of more than {MAX_NUMBER_DIGITS} digits"),
    "arrays opened 100,000 deep": ("[" * 100_000, f"arrays or objects nested more than {MAX_DEPTH} deep"),
    "objects 100,000 deep inside a record": (
        '{"id": "d", "question": "q", "expect": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}",
        f"arrays or objects nested more than {MAX_DEPTH} deep"),
}


def golden_file(folder: Path, *lines: str, name: str = "golden-questions.jsonl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- a hostile line, every reader


@pytest.mark.parametrize("kind", HOSTILE)
def test_load_golden_names_the_file_and_line_of_a_hostile_line(tmp_path, kind):
    line, message = HOSTILE[kind]
    path = golden_file(tmp_path, GOOD, line)
    with pytest.raises(EvaluationError) as caught:
        load_golden(path)
    assert str(caught.value) == f"{path}:2: {message}"


@pytest.mark.parametrize("command", [["eval", "--golden"], ["calibrate", "--questions"]])
@pytest.mark.parametrize("kind", HOSTILE)
def test_eval_and_calibrate_report_a_hostile_line_in_one_line(tmp_path, capsys, kind, command):
    line, message = HOSTILE[kind]
    path = golden_file(tmp_path, GOOD, line)
    code = cli.main([*command, str(path), "--index", str(tmp_path / "no-index")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == f"nets-search: error: {path}:2: {message}\n"


@pytest.mark.parametrize("kind", HOSTILE)
def test_the_editor_panel_skips_a_hostile_line_and_keeps_it_byte_for_byte(tmp_path, kind):
    line, _ = HOSTILE[kind]
    path = golden_file(tmp_path, GOOD, line, PENDING)
    assert unfinished_golden_questions(path) == [("f1", "can I eat cheese")]
    assert complete_golden_question(path, "f1", "Cheese holds tryptophan.")
    assert add_golden_question(path, "can I drink wine")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == [GOOD, line] and len(lines) == 4
    assert json.loads(lines[2]) == {"id": "f1", "question": "can I eat cheese", "expect": [["Cheese holds tryptophan."]]}
    assert unfinished_golden_questions(path) == [(json.loads(lines[3])["id"], "can I drink wine")]


@pytest.mark.usefixtures("one_model")
@pytest.mark.parametrize("kind", HOSTILE)
def test_a_build_with_a_hostile_golden_line_succeeds_and_warns(make_corpus, tmp_path, encoder, capsys, monkeypatch,
                                                               kind):
    """The build's calibration leaves the file out and its golden check says why; nothing half-built is left."""
    line, message = HOSTILE[kind]
    corpus = make_corpus({"flushing.md": page("Flushing", ("Why the face goes red", "Flushing of the skin. " * 5))})
    golden = golden_file(corpus, GOOD, line)
    index = tmp_path / "index"

    code = cli.main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err, err
    assert out.startswith("Built index")
    assert f"  warning: golden questions not checked: {golden}:2: {message}" in out.splitlines()
    assert [p.name for p in (index / "versions").iterdir() if p.name.startswith(".")] == []


# --------------------------------------------------------------------------- read as a corpus file is


def _without_waiting(call, fifo: Path):
    """What `call` returns or raises; if it waits on the pipe, the pipe is given a writer and an end (so the test
    fails rather than hangs) and the test fails."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    if thread.is_alive():
        with open(fifo, "wb"):
            pass
        thread.join()
        pytest.fail(f"waited on the named pipe {fifo.name}")
    return outcome


def test_load_golden_refuses_a_named_pipe_without_waiting_on_it(tmp_path):
    fifo = tmp_path / "golden-questions.jsonl"
    os.mkfifo(fifo)
    outcome = _without_waiting(lambda: load_golden(fifo), fifo)
    assert isinstance(outcome.get("error"), EvaluationError)
    assert str(outcome["error"]) == f"{fifo}: a named pipe, not a regular file; the corpus takes only regular files"


def test_the_corpus_hashes_leave_out_a_question_file_swapped_for_a_pipe(tmp_path, monkeypatch):
    """corpus_question_files looked (lstat) at a regular file; by the time it is read it is a named pipe."""
    corpus = tmp_path / "corpus"
    kept = golden_file(corpus, GOOD, name="kept.jsonl")
    swapped = corpus / "swapped.jsonl"
    os.mkfifo(swapped)
    monkeypatch.setattr("nets_search.build.changes.corpus_question_files", lambda folder: [kept, swapped])
    outcome = _without_waiting(lambda: file_hashes([], Glossary(), corpus), swapped)
    assert outcome.get("value") == {"kept.jsonl": sha256_text(GOOD + "\n")}


def test_a_golden_file_over_the_size_limit_is_refused_in_one_line(tmp_path):
    path = golden_file(tmp_path, GOOD, " " * MAX_GOLDEN_BYTES)
    with pytest.raises(EvaluationError) as caught:
        load_golden(path)
    assert str(caught.value).startswith(f"{path}: file is ") and "over the 5 MB limit for a golden-question file" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_question_file_hashes_are_what_they_were_before_the_files_were_read_with_limits(tmp_path):
    """The hash is still taken of the text as read_text gave it (universal newlines, bad bytes replaced), so an
    index built before this change does not see every labelled-question file as changed."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = corpus / "questions.jsonl"
    path.write_bytes(GOOD.encode() + b"\r\n" + PENDING.encode() + b"\r" + b'{"id": "\xff"}\n')
    assert file_hashes([], Glossary(), corpus) == {
        "questions.jsonl": sha256_text(path.read_text(encoding="utf-8", errors="replace"))}


GOOD_LINE = '{"id": "g1", "question": "what is a NET", "expect": [["neuroendocrine"]]}\n'


def test_a_file_named_on_the_command_line_is_read_through_its_link(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "questions.jsonl").write_text(GOOD_LINE, encoding="utf-8")
    here = tmp_path / "here"
    here.mkdir()
    (here / "questions.jsonl").symlink_to(elsewhere / "questions.jsonl")
    assert [q.id for q in load_golden(here / "questions.jsonl")] == ["g1"]


def test_a_corpus_question_file_linked_out_of_the_corpus_is_refused(tmp_path):
    (tmp_path / "outside.jsonl").write_text(GOOD_LINE, encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "questions.jsonl").symlink_to(tmp_path / "outside.jsonl")
    with pytest.raises(EvaluationError, match="questions.jsonl: .*outside"):
        load_golden(corpus / "questions.jsonl", folder=corpus)


# --------------------------------------------------------------------------- phrase matching


@pytest.mark.parametrize(
    "text, expect, matches",
    [
        ("depending upon the tumour’s location", [["tumour's location"]], True),  # curly apostrophe in the text
        ("thought they were ‘cancer-like’ (benign)", [["'cancer-like'"]], True),
        ("“Facial flushing is where”", [['"facial flushing is']], True),  # curly double quotes, case
        ("Flushing of the\nskin", [["flushing of  the skin"]], True),  # whitespace runs compare as one space
        ("diarrhoea and flushing", [["diarrhoea", "wheezing"]], False),  # every phrase of an alternative
        ("diarrhoea and flushing", [["wheezing"], ["FLUSHING"]], True),  # any alternative
        ("diarrhoea", [["diarrhea"]], False),  # phrases are verbatim: no spelling folding
    ],
)
def test_passage_matches(text, expect, matches):
    assert passage_matches(text, expect) is matches


def test_fold_is_idempotent():
    text = "The  Tumour’s “Location”"
    assert fold(fold(text)) == fold(text) == "the tumour's \"location\""


# --------------------------------------------------------------------------- golden files


TWO_WAYS = '{"id": "a", "question": "what is a NET", "expect": [["NETs"], ["neuroendocrine", "tumour"]]}'


def test_load_golden_reads_in_scope_and_out_of_scope_questions(tmp_path):
    path = write(tmp_path / "g.jsonl", TWO_WAYS, "", '{"id": 7, "question": "cake recipe", "out_of_scope": true, "note": "food"}')
    assert load_golden(path) == [
        GoldenQuestion("a", "what is a NET", (("NETs",), ("neuroendocrine", "tumour")), False, 1),
        GoldenQuestion("7", "cake recipe", (), True, 3),
    ]


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ("{not json", "not valid JSON"),
        ('["a", "b"]', "must be a JSON object"),
        ('{"question": "q", "expect": [["x"]]}', "needs an 'id'"),
        ('{"id": "b", "question": "  ", "expect": [["x"]]}', "needs a non-empty 'question'"),
        ('{"id": "b", "question": "q"}', "needs 'expect'"),
        ('{"id": "b", "question": "q", "expect": ["x"]}', "'expect' must be a list of alternatives"),
        ('{"id": "b", "question": "q", "expect": [[]]}', "'expect' must be a list of alternatives"),
        ('{"id": "b", "question": "q", "expect": [["x", ""]]}', "every phrase in 'expect' must be a non-empty string"),
        ('{"id": "b", "question": "q", "out_of_scope": "yes"}', "'out_of_scope' must be true or false"),
        ('{"id": "b", "question": "q", "out_of_scope": true, "expect": [["x"]]}', "not both"),
        ('{"id": "b", "question": "q", "expects": [["x"]]}', "unknown key 'expects'"),
        ('{"id": "a", "question": "q", "expect": [["x"]]}', "id 'a' is already used on line 1"),
    ],
)
def test_malformed_golden_lines_name_the_file_and_line(tmp_path, bad_line, message):
    path = write(tmp_path / "g.jsonl", TWO_WAYS, bad_line)
    with pytest.raises(EvaluationError) as caught:
        load_golden(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:2: ") and message in text and "\n" not in text
    assert isinstance(caught.value, NetsSearchError)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp / "missing.jsonl", "file not found"),
        (lambda tmp: write(tmp / "empty.jsonl", "", "  "), "no questions in the file"),
        (lambda tmp: tmp, "is a folder"),
    ],
)
def test_unreadable_golden_files(tmp_path, make, message):
    with pytest.raises(EvaluationError, match=message):
        load_golden(make(tmp_path))


def test_the_projects_golden_file_is_well_formed_and_its_phrases_are_verbatim():
    questions = load_golden(GOLDEN)
    in_scope = [q for q in questions if not q.out_of_scope]
    assert len(in_scope) >= 25 and len(questions) - len(in_scope) >= 12
    corpus_text = fold("\n".join(p.read_text(encoding="utf-8") for p in SEED_CORPUS.glob("*.md")))
    for q in in_scope:
        for phrase in (phrase for alternative in q.expect for phrase in alternative):
            assert fold(phrase) in corpus_text, f"{q.id}: '{phrase}' is not in the corpus"


def test_no_question_is_asked_twice_across_the_labelled_sets():
    """A question in two files can be dealt into tune and test (or be in tuning and in a held-out set): its test
    figure would then be measured on data a choice has seen."""
    repo = SEED_CORPUS.parent
    files = [*SEED_CORPUS.glob("*.jsonl"), *repo.glob("examples/*/*.jsonl"), *repo.glob("benchmarks/held-out/*.jsonl")]
    seen: dict[str, str] = {}
    for path in sorted(files):
        for q in load_golden(path):
            text = " ".join(fold(q.question).split())
            assert text not in seen, f"'{q.question}' is in {seen.get(text)} and {path.name} ({q.id})"
            seen[text] = f"{path.name} ({q.id})"
    assert len(seen) > 500
