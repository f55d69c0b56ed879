"""Editing the golden-question file from the page: a to-do added once, finished by an editor, written whole."""

from __future__ import annotations

import json
import os

import pytest

from nets_search.evaluate.golden_file import GOLDEN_TODO, add_golden_question, complete_golden_question


def test_add_golden_question_appends_a_todo_line_once(tmp_path):
    golden = tmp_path / "golden-questions.jsonl"
    golden.write_text('{"id": "q1", "question": "What is a NET?", "expect": [["neuroendocrine"]]}')  # no final newline
    assert add_golden_question(golden, "Why does my  face go red?")
    assert not add_golden_question(golden, "why does my face go red?")
    assert not add_golden_question(golden, "what is a net?")
    lines = [json.loads(line) for line in golden.read_text().splitlines()]
    assert len(lines) == 2
    added = lines[1]
    assert added["question"] == "Why does my face go red?"
    assert added["expect"] == [] and added["todo"] == GOLDEN_TODO
    assert added["id"].startswith("feedback-")


def test_add_golden_question_creates_the_file(tmp_path):
    golden = tmp_path / "corpus" / "golden-questions.jsonl"
    assert add_golden_question(golden, "Can I travel abroad?")
    assert json.loads(golden.read_text())["question"] == "Can I travel abroad?"


def _golden_link_out(folder):
    outside = folder / "outside.jsonl"
    outside.write_text('{"id": "secret", "question": "not ours", "expect": [], "todo": "x"}\n')
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / "golden-questions.jsonl").symlink_to(outside)
    return corpus / "golden-questions.jsonl", outside


def _golden_fifo(folder):
    corpus = folder / "corpus"
    corpus.mkdir()
    os.mkfifo(corpus / "golden-questions.jsonl")
    return corpus / "golden-questions.jsonl", None


@pytest.mark.parametrize("make", [_golden_link_out, _golden_fifo], ids=["link out of the corpus", "named pipe"])
def test_the_editor_panel_neither_reads_nor_appends_to_a_golden_file_that_is_not_ours(tmp_path, make):
    from nets_search.errors import CorpusError
    from nets_search.evaluate.golden_file import unfinished_golden_questions

    golden, outside = make(tmp_path)
    before = outside.read_bytes() if outside else None
    with pytest.raises(CorpusError, match="golden-questions.jsonl"):
        unfinished_golden_questions(golden)  # returns at once: a pipe is never waited on
    with pytest.raises(CorpusError, match="golden-questions.jsonl"):
        add_golden_question(golden, "can I eat curry")
    if outside:
        assert outside.read_bytes() == before


def test_a_question_added_from_feedback_is_pending_until_an_editor_fills_it_in(tmp_path):
    from nets_search.evaluate.golden import load_golden

    golden = tmp_path / "golden-questions.jsonl"
    golden.write_text('{"id": "g1", "question": "what is a NET", "expect": [["neuroendocrine"]]}\n')
    add_golden_question(golden, "can I eat curry")
    assert [q.id for q in load_golden(golden)] == ["g1"]  # loads; the new line waits for its phrases


# --------------------------------------------------------------------------- golden-file writes: whole files only


PENDING_GOLDEN = '{"id": "f1", "question": "can I eat cheese", "expect": [], "todo": "fill in"}\n'
GOLDEN_WRITES = {
    "add": lambda path: add_golden_question(path, "can I drink wine"),
    "finish": lambda path: complete_golden_question(path, "f1", None),
}


@pytest.mark.parametrize("write", GOLDEN_WRITES)
def test_a_golden_write_goes_through_no_link_put_beside_the_file(tmp_path, write):
    """The file is written beside and renamed over: a link where that file might go (the old fixed name
    'golden-questions.jsonl.tmp') is never written through."""
    golden = tmp_path / "golden-questions.jsonl"
    golden.write_text(PENDING_GOLDEN, encoding="utf-8")
    outside = tmp_path / "not-ours.txt"
    outside.write_text("not ours\n", encoding="utf-8")
    (tmp_path / "golden-questions.jsonl.tmp").symlink_to(outside)
    assert GOLDEN_WRITES[write](golden)
    assert outside.read_text(encoding="utf-8") == "not ours\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["golden-questions.jsonl", "golden-questions.jsonl.tmp",
                                                          "not-ours.txt"]
    assert golden.read_text(encoding="utf-8") != PENDING_GOLDEN


@pytest.mark.parametrize("write", GOLDEN_WRITES)
def test_a_golden_write_keeps_the_files_permissions(tmp_path, write):
    golden = tmp_path / "golden-questions.jsonl"
    golden.write_text(PENDING_GOLDEN, encoding="utf-8")
    golden.chmod(0o640)
    assert GOLDEN_WRITES[write](golden)
    assert golden.stat().st_mode & 0o777 == 0o640
