"""Feedback store: replies kept, gaps listed most frequent first, failures logged and never raised."""

from __future__ import annotations

import json
import logging
import os
import sqlite3

import pytest

from nets_search.page.feedback import FeedbackStore

@pytest.fixture
def store(tmp_path):
    return FeedbackStore(tmp_path / "feedback.sqlite")


def test_a_reply_stores_question_passages_answer_and_time_only(store):
    assert store.record("Can I drink coffee?", ["p1", "p2"], answered=False)
    with sqlite3.connect(store.path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(replies)")]
        row = db.execute("SELECT question, passage_ids, answered, created_at FROM replies").fetchone()
    assert set(columns) == {"id", "question", "question_key", "passage_ids", "answered", "created_at"}
    assert row[0] == "Can I drink coffee?"
    assert json.loads(row[1]) == ["p1", "p2"]
    assert row[2] == 0
    assert row[3].endswith("Z")


def test_unanswered_questions_grouped_newest_first_with_the_passages_shown(store):
    for _ in range(3):
        store.record("why does my face go red?", ["a"], answered=False)
    store.record("Why does my  face go RED?", ["a"], answered=False)  # same question, other case and spacing
    store.record("is it cancer?", ["b"], answered=False)
    store.record("what foods should I avoid?", ["c"], answered=True)
    gaps = store.unanswered()
    assert [(g.question.lower().split(), g.count, g.passage_ids) for g in gaps] == [
        ("is it cancer?".split(), 1, ("b",)),
        ("why does my face go red?".split(), 4, ("a",)),
    ]


def test_a_handled_question_leaves_the_open_list_until_a_reader_says_no_again(store):
    store.record("is it cancer?", ["b"], answered=False)
    store.record("can i do the jab myself", ["c"], answered=False)
    (jab, cancer) = store.unanswered()
    assert store.mark_handled([jab.key], "synonym added")
    assert [g.question for g in store.unanswered()] == ["is it cancer?"]
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT reason FROM handled").fetchall() == [("synonym added",)]
        db.execute("UPDATE handled SET handled_at = '2000-01-01T00:00:00Z'")  # handled long ago
    store.record("can i do the jab myself", ["d"], answered=False)  # asked again after the fix: open again
    assert [(g.question, g.count, g.passage_ids) for g in store.unanswered()][0] == (
        "can i do the jab myself", 2, ("d",))


def test_a_store_made_before_handled_questions_still_lists_its_gaps(store):
    store.record("is it cancer?", ["b"], answered=False)
    with sqlite3.connect(store.path) as db:
        db.execute("DROP TABLE handled")
    store.path.chmod(0o444)
    try:
        assert [g.question for g in store.unanswered()] == ["is it cancer?"]
    finally:
        store.path.chmod(0o644)


def test_no_database_yet_means_no_gaps(store):
    assert store.unanswered() == []
    assert not store.path.exists()


def test_a_locked_database_logs_a_warning_and_carries_on(store, caplog):
    store.record("first", [], answered=True)
    blocker = sqlite3.connect(store.path)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.WARNING, logger="nets_search.page.feedback"):
            assert store.record("second", ["p"], answered=False) is False
    finally:
        blocker.rollback()
        blocker.close()
    assert "feedback not stored" in caplog.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write read-only files")
def test_a_read_only_database_logs_a_warning(store, caplog):
    store.record("first", [], answered=True)
    store.path.chmod(0o444)
    with caplog.at_level(logging.WARNING, logger="nets_search.page.feedback"):
        assert store.record("second", [], answered=False) is False
    assert "feedback not stored" in caplog.text


def test_a_database_in_a_missing_folder_logs_a_warning(tmp_path, caplog):
    broken = FeedbackStore(tmp_path / "no" / "such" / "folder" / "feedback.sqlite")
    with caplog.at_level(logging.WARNING, logger="nets_search.page.feedback"):
        assert broken.record("question", [], answered=False) is False
    assert broken.unanswered() == []


def test_a_folder_where_the_database_should_be_logs_a_warning(store, caplog):
    store.path.mkdir()
    with caplog.at_level(logging.WARNING, logger="nets_search.page.feedback"):
        assert store.record("question", [], answered=False) is False
        assert store.unanswered() == []
    assert "feedback not stored" in caplog.text


def test_a_damaged_database_is_set_aside_and_a_new_one_started(store, caplog):
    store.path.write_text("this is not sqlite")
    with caplog.at_level(logging.WARNING, logger="nets_search.page.feedback"):
        assert store.record("question", [], answered=False) is True
    assert [g.question for g in store.unanswered()] == ["question"]
    assert list(store.path.parent.glob("*.damaged-*")) and "moved aside" in caplog.text


@pytest.mark.parametrize(
    "question, stored",
    [
        ("my NHS number is 943 476 5919, what now", "my NHS number is [NHS number], what now"),
        ("email me at jo.bloggs+nets@example.co.uk please", "email me at [email] please"),
        ("call 07700 900123 about flushing", "call [phone] about flushing"),
        ("born 03/11/1961 is that too old", "born [date] is that too old"),
        ("DOB 3rd March 1961", "DOB [date]"),
        ("  lots   of\n spaces ", "lots of spaces"),
    ],
)
def test_obvious_identifiers_are_masked_before_anything_is_written(store, question, stored):
    store.record(question, [], answered=False)
    assert [g.question for g in store.unanswered()] == [stored]
    assert question.strip() not in store.path.read_bytes().decode("utf-8", "replace") or question.strip() == stored


def test_questions_differing_only_in_case_and_punctuation_are_one_gap(store):
    for question in ("Can I drink wine?", "can i drink wine", "CAN I DRINK WINE!!"):
        store.record(question, [], answered=False)
    (gap,) = store.unanswered()
    assert gap.count == 3


def test_ten_thousand_replies_stay_within_the_caps(store, monkeypatch):
    monkeypatch.setattr("nets_search.page.feedback.MAX_ROWS", 500)
    monkeypatch.setattr("nets_search.page.feedback.MAX_ROWS_PER_DAY", 800)
    long_question = "why " * 2000
    stored = sum(store.record(f"{long_question}{i}", ["p"], answered=False) for i in range(10_000))
    assert stored == 800  # today's cap
    import sqlite3

    db = sqlite3.connect(store.path)
    rows, longest = db.execute("SELECT COUNT(*), MAX(LENGTH(question)) FROM replies").fetchone()
    db.close()
    assert rows == 500 and longest <= 1000


def test_replies_older_than_the_retention_are_dropped_on_start(store, monkeypatch):
    import sqlite3

    from nets_search.page.feedback import FeedbackStore

    store.record("old question", [], answered=False)
    db = sqlite3.connect(store.path)
    with db:
        db.execute("UPDATE replies SET created_at = '2020-01-01T00:00:00Z'")
    db.close()
    FeedbackStore._tidied.discard(store.path)
    store.record("new question", [], answered=False)
    assert [g.question for g in store.unanswered()] == ["new question"]
