"""Feedback store: replies kept, gaps listed most frequent first, failures logged and never raised."""

from __future__ import annotations

import json
import logging
import os
import sqlite3

import pytest

from nets_search.page.feedback import GOLDEN_TODO, MAX_QUESTION_CHARS, FeedbackStore, add_golden_question, mask_identifiers


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


def test_unanswered_questions_most_frequent_first(store):
    for _ in range(3):
        store.record("why does my face go red?", ["a"], answered=False)
    store.record("Why does my  face go RED?", ["a"], answered=False)  # same question, other case and spacing
    store.record("is it cancer?", ["b"], answered=False)
    store.record("what foods should I avoid?", ["c"], answered=True)
    gaps = store.unanswered()
    assert [(g.question.lower().split(), g.count) for g in gaps] == [
        ("why does my face go red?".split(), 4),
        ("is it cancer?".split(), 1),
    ]


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


MASKED = [  # (what a reader wrote, what an editor may see)
    # shown verbatim before
    ("call (020) 7946 0958 about it", "call [phone] about it"),
    ("ring +44 (0)20 7946 0958 today", "ring [phone] today"),
    ("my sister on +1 (415) 555-0100", "my sister on [phone]"),
    ("my GP in Lyon +33 6 12 34 56 78", "my GP in Lyon [phone]"),
    ("nurse 020.7946.0958?", "nurse [phone]?"),
    ("born 1961-03-12, can I have PRRT", "born [date], can I have PRRT"),
    ("born March 12, 1961, can I have PRRT", "born [date], can I have PRRT"),
    ("write to jane.doe\uff20example.com", "write to [email]"),
    # more phone numbers, national and international
    ("+49 30 12345678 is my clinic", "[phone] is my clinic"),
    ("India +91 98765 43210", "India [phone]"),
    ("Tokyo +81 3-1234-5678", "Tokyo [phone]"),
    ("Sydney +61 2 9876 5432 or (02) 9876 5432", "Sydney [phone] or [phone]"),
    ("Dublin +353 1 234 5678", "Dublin [phone]"),
    ("Madrid +34 912 34 56 78", "Madrid [phone]"),
    ("São Paulo +55 11 91234-5678", "São Paulo [phone]"),
    ("Moscow +7 495 123-45-67", "Moscow [phone]"),
    ("from abroad 0044 20 7946 0958", "from abroad [phone]"),
    ("mobile 07700 900123 or 07700900123", "mobile [phone] or [phone]"),
    ("Paris 06 12 34 56 78", "Paris [phone]"),
    ("US 415-555-0100 or 415.555.0100", "US [phone] or [phone]"),
    ("full-width \uff10\uff12\uff10 \uff17\uff19\uff14\uff16 \uff10\uff19\uff15\uff18", "full-width [phone]"),
    ("+44 20 7946 0958 2 times a day", "[phone] 2 times a day"),
    # NHS numbers (943 476 5919 passes the modulus 11 check; 943 476 5918 does not, and is masked all the same)
    ("NHS 943-476-5919 and 9434765919", "NHS [NHS number] and [NHS number]"),
    ("nhs no 943 476 5918", "nhs no [phone]"),
    # dates
    ("DOB 12 March 1961", "DOB [date]"),
    ("DOB 12/03/1961", "DOB [date]"),
    ("DOB 12.03.61", "DOB [date]"),
    ("DOB the 12th of March, 1961", "DOB the [date]"),
    ("DOB Mar. 3rd, 1961 or 3 Sept 1961", "DOB [date] or [date]"),
    # e-mail addresses with look-alike characters or spelt out
    ("jane.doe\ufe6bexample\uff0ecom", "[email]"),
    ("j\u0430ne@example.com", "[email]"),  # Cyrillic a
    ("jo (at) example [dot] com", "[email]"),
    # medical content stays
    ("is 100 mg of lanreotide every 28 days too much", "is 100 mg of lanreotide every 28 days too much"),
    ("5-HIAA of 120 in a 24-hour urine", "5-HIAA of 120 in a 24-hour urine"),
    ("octreotide 2 to 3 times a day", "octreotide 2 to 3 times a day"),
    ("grade 2, Ki-67 of 3%, stage 4", "grade 2, Ki-67 of 3%, stage 4"),
    ("since 2019, scans at 3-6-12 months", "since 2019, scans at 3-6-12 months"),
    ("lanreotide 05/2019-03/2021 then PRRT", "lanreotide 05/2019-03/2021 then PRRT"),
    ("from 01/2019 - 06/2020 on octreotide", "from 01/2019 - 06/2020 on octreotide"),
    ("5-HIAA on 2 May 45 umol/24h", "5-HIAA on 2 May 45 umol/24h"),
    ("CgA 3 Jan 95 ng/ml", "CgA 3 Jan 95 ng/ml"),
    ("since 1 May 12.5 mg a day", "since 1 May 12.5 mg a day"),
    ("from 3 May 10-20 mg", "from 3 May 10-20 mg"),
    ("call me on 020/7946 0958", "call me on [phone]"),
    ("7.4 GBq 4 times, 0.5 mg, 1 in 100,000, BP 120/80", "7.4 GBq 4 times, 0.5 mg, 1 in 100,000, BP 120/80"),
    ("Ga68-DOTATATE, CA19-9, HbA1c 48, Lu177", "Ga68-DOTATATE, CA19-9, HbA1c 48, Lu177"),
    ("a scan on 12 March, from 01/2019, CgA 150 200 250", "a scan on 12 March, from 01/2019, CgA 150 200 250"),
    # shown verbatim after the third pass: dates with a month name and a hyphen or a two-digit year, eight digits
    ("DOB 12-Mar-1961", "DOB [date]"),
    ("DOB 12 Mar 61, is that relevant", "DOB [date], is that relevant"),
    ("DOB 12/Mar/61 or 3.May.1961", "DOB [date] or [date]"),
    ("DOB 12031961 or 19610312", "DOB [date] or [date]"),
    # ... phone numbers with more than one character between their groups
    ("call 020/7946 0958 today", "call [phone] today"),
    ("mobile 07700 - 900123", "mobile [phone]"),
    ("+44 20 7946 0958 - 2 times a day", "[phone] - 2 times a day"),
    # ... addresses with the ideographic full stop, or spelt out without brackets
    ("write to jane@example\u3002com", "write to [email]"),
    ("write to jane\uff61doe@example\uff61co\uff61uk", "write to [email]"),
    ("jane at example dot com", "[email]"),
    ("write to Jo.Bloggs AT nhs DOT net please", "write to [email] please"),
    ("jo at example dot co dot uk or jane@example dot com", "[email] or [email]"),
    # ... while questions and medical numbers that only look like them stay
    ("look at the dot on my skin", "look at the dot on my skin"),
    ("is the dot at my hairline a NET", "is the dot at my hairline a NET"),
    ("from 3 May 20 mg a day, grade 2 may 10 years", "from 3 May 20 mg a day, grade 2 may 10 years"),
    ("100 mg every 28 days, 2 to 3 times a day, since 2019", "100 mg every 28 days, 2 to 3 times a day, since 2019"),
    ("grade 2, Ki-67 of 3%, stage 4, 5-HIAA 0.5 - 1 - 2", "grade 2, Ki-67 of 3%, stage 4, 5-HIAA 0.5 - 1 - 2"),
    ("doses 0.5 / 1 / 2 / 4 mg, CgA 12345678, BP 120 / 80", "doses 0.5 / 1 / 2 / 4 mg, CgA 12345678, BP 120 / 80"),
]


@pytest.mark.parametrize("question, masked", MASKED)
def test_identifiers_are_masked_and_medical_numbers_kept(question, masked):
    assert mask_identifiers(question) == masked


def test_an_identifier_across_the_length_cut_is_masked_not_half_shown():
    stored = mask_identifiers("x" * (MAX_QUESTION_CHARS - 5) + " 020 7946 0958")
    assert len(stored) == MAX_QUESTION_CHARS and not any(char.isdigit() for char in stored)


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
    from nets_search.page.feedback import unfinished_golden_questions

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


# --------------------------------------------------------------------------- rate limits (the page's, per source)


class Clock:
    """Time that moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_limit_refuses_a_key_past_its_count_until_its_window_closes():
    from nets_search.page.process_state import Limit

    clock = Clock()
    limit = Limit(3, 60, clock=clock)
    assert [limit.count("203.0.113.7") for _ in range(4)] == [True, True, True, False]
    assert limit.count("198.51.100.9")  # another source has its own count
    clock.now += 59
    assert not limit.count("203.0.113.7")
    clock.now += 1
    assert limit.count("203.0.113.7")


def test_an_event_under_several_keys_is_refused_if_any_is_spent_and_then_counts_against_none():
    from nets_search.page.process_state import Limit

    limit = Limit(2, 60)
    assert limit.count("source", "tab 1") and limit.count("source", "tab 2")
    assert not limit.count("source", "tab 3")  # a new session from a spent source
    assert limit.count("elsewhere", "tab 3") and limit.count("elsewhere 2", "tab 3")  # the refusal cost tab 3 nothing
    assert not limit.count("elsewhere 3", "tab 3")


def test_a_flood_of_new_sources_is_refused_rather_than_remembered_without_end():
    from nets_search.page.process_state import Limit

    clock = Clock()
    limit = Limit(1, 60, max_keys=2, clock=clock)
    assert limit.count("a") and limit.count("b")
    assert not limit.count("c")  # full, and every window still open
    clock.now += 60
    assert limit.count("c")  # closed windows are dropped to make room


# --------------------------------------------------------------------------- golden-file writes: whole files only

from nets_search.page.feedback import complete_golden_question  # noqa: E402

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
