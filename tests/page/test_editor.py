"""The editor panel driven in-process with Streamlit's AppTest: the token gate and its pauses, rebuilds, pending
changes, and golden questions finished from the panel."""

from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from nets_search.page import cards
from nets_search.page import editor_gate, editor_versions
from nets_search.page import setup as page_setup
from nets_search.index import store

from .conftest import PAUSED, TOKEN, button, editor_app, enter_token, gate_app, new_app, result_cards, shown

pytestmark = pytest.mark.usefixtures("page_env")


def test_a_missing_index_offers_the_build_button_in_editor_mode(monkeypatch, tmp_path):
    monkeypatch.setenv("NETS_SEARCH_INDEX", str(tmp_path / "no-index-here"))
    at = editor_app(monkeypatch).run()
    assert button(at, "Publish for the first time", at.sidebar)


def test_editor_controls_are_hidden_unless_editor_mode(monkeypatch):
    public = new_app().run()
    assert not public.sidebar.children or not public.sidebar.button
    assert not any(b.label == "Publish changes" for b in public.button)
    assert "Editor panel" not in shown(public)

    editor = editor_app(monkeypatch).run()
    assert button(editor, "Publish changes", editor.sidebar)
    panel = shown(editor, editor.sidebar)
    assert "What readers see" in panel and "Passages:</strong> 8" in panel and "all-MiniLM-L6-v2" in panel
    assert "Nothing is waiting" in panel


EDITOR_LABELS = ("Publish changes", "Publish for the first time", "Add to golden questions")


@pytest.mark.parametrize("token_set", [True, False])
@pytest.mark.parametrize("params", [{}, {"editor": "1"}, {"editor": "true", "token": "x", "exact": "1"}])
def test_no_editor_control_without_the_token_whatever_the_url_or_session_says(monkeypatch, token_set, params):
    monkeypatch.setenv("NETS_SEARCH_EDITOR", "1")
    if token_set:
        monkeypatch.setenv("NETS_SEARCH_EDITOR_TOKEN", TOKEN)
    at = new_app()
    for key, value in params.items():
        at.query_params[key] = value
    at.session_state["editor_proof"] = "forged"
    at.session_state["editor_ok"] = True
    at.run()
    assert not any(b.label in EDITOR_LABELS for b in at.button)
    assert "What readers see" not in shown(at, at.sidebar)
    if not token_set:
        assert "no editor token is set on the server" in shown(at, at.sidebar)


@pytest.mark.parametrize("short", ["x", "a" * (editor_gate.MIN_TOKEN_LENGTH - 1)])
def test_a_token_too_short_to_resist_guessing_leaves_the_panel_off_and_says_why(monkeypatch, short):
    monkeypatch.setenv("NETS_SEARCH_EDITOR", "1")
    monkeypatch.setenv("NETS_SEARCH_EDITOR_TOKEN", short)
    at = new_app()
    at.session_state["editor_proof"] = editor_gate.editor_proof(short)  # even a session holding its proof
    at.run()
    assert "shorter than 16 characters" in shown(at, at.sidebar)
    assert not at.sidebar.text_input and not any(b.label in EDITOR_LABELS for b in at.button)


def test_wrong_tokens_pause_further_wrong_tries_but_the_right_token_opens_during_the_pause(monkeypatch):
    at = gate_app(monkeypatch)
    for _ in range(editor_gate.MAX_TOKEN_TRIES):
        assert "That is not the editor token." in enter_token(at, "guess")
    assert PAUSED in enter_token(at, "guess")
    assert PAUSED in enter_token(gate_app(monkeypatch), "guess")  # a new session from the same source is paused too
    enter_token(at, TOKEN)  # paused, yet the right token opens: an attacker's guesses never lock an editor out
    assert button(at, "Publish changes", at.sidebar)
    assert at.session_state["editor_proof"] != TOKEN  # the session holds a keyed hash, not the token


@pytest.mark.parametrize(("source", "session", "paused"), [
    ("203.0.113.7", "another tab", True),  # the same address, a new browser session
    ("198.51.100.9", "guessing tab", True),  # the same session, a new address (a phone changing networks)
    ("198.51.100.9", "another tab", False),  # someone else entirely
])
def test_the_wrong_token_pause_is_per_source_and_per_session(monkeypatch, source, session, paused):
    where = {"source": "203.0.113.7", "session": "guessing tab"}
    monkeypatch.setattr(editor_gate, "client_source", lambda trusted: where["source"])
    monkeypatch.setattr(editor_gate, "_session_id", lambda: where["session"])
    at = gate_app(monkeypatch)
    for _ in range(editor_gate.MAX_TOKEN_TRIES):
        enter_token(at, "guess")
    assert PAUSED in enter_token(at, "guess")
    where.update(source=source, session=session)
    assert (PAUSED in enter_token(at, "guess")) == paused


def test_editor_mode_from_the_command_line_flag():
    assert page_setup.load_config(["--editor"], {}).editor
    assert not page_setup.load_config([], {}).editor
    assert page_setup.load_config([], {"NETS_SEARCH_EDITOR": "1"}).editor
    assert page_setup.load_config([], {"NETS_SEARCH_FEEDBACK": "0"}).feedback_db is None


def test_rebuild_in_editor_mode_swaps_the_new_index_in_without_a_restart(monkeypatch, writable_site):
    corpus, index = writable_site
    at = editor_app(monkeypatch)
    at.query_params["q"] = "travel insurance abroad"
    at.run()
    assert not any("travel insurance" in c for c in result_cards(at))
    old_version = store.current_version(index)

    (corpus / "travel.md").write_text(
        "# Travelling with NETs\n\n## Insurance\n\n"
        "Tell your travel insurance company about your NETs before you go abroad.\n"
    )
    editor_versions.pending_changes_cached.clear()
    at.run()
    assert "Waiting to be published" in shown(at, at.sidebar)
    button(at, "Publish changes", at.sidebar).click()
    at.run()
    assert not at.exception
    new_version = store.current_version(index)
    assert new_version != old_version
    # The rebuild reruns the page: the panel shows the new state at once, the search already uses the new version.
    panel = shown(at, at.sidebar)
    assert new_version in panel  # behind "Details"
    assert "Nothing is waiting" in panel and "Waiting to be published" not in panel
    assert "Done&#58; readers now see the new version &#40;1 page added&#41;." in panel and "added: travel" in panel
    assert "<mark>insurance</mark> company" in result_cards(at)[0]
    assert "Travelling with NETs" in result_cards(at)[0]


def test_a_file_that_cannot_be_read_counts_as_a_change_in_the_panel(monkeypatch, tmp_path, seed_corpus_and_index):
    corpus = tmp_path / "corpus"
    shutil.copytree(seed_corpus_and_index[0], corpus)
    (corpus / "broken.md").write_bytes(b"\xff\xfe not utf-8 \x00")
    monkeypatch.setenv("NETS_SEARCH_CORPUS", str(corpus))
    at = editor_app(monkeypatch).run()
    panel = shown(at, at.sidebar)
    assert "Waiting to be published" in panel and "broken.md &#40;cannot be read&#41;" in panel


def test_a_golden_question_is_finished_in_the_panel_by_picking_the_passage(monkeypatch, tmp_path):
    golden = tmp_path / "golden-questions.jsonl"
    golden.write_text('{"id": "g0", "question": "is it cancer", "expect": [["malignant"]]}\n'
                      '{"id": "f1", "question": "which foods make flushing worse", "expect": [], "todo": "fill in"}\n'
                      '{"id": "f2", "question": "can I renew my passport", "expect": [], "todo": "fill in"}\n')
    at = editor_app(monkeypatch).run()
    assert "Golden questions to finish" in shown(at, at.sidebar)
    button(at, "This answers it (1)", at.sidebar).click()
    at.run()
    button(at, "Our pages do not cover it", at.sidebar).click()
    at.run()
    assert not at.exception
    records = [json.loads(line) for line in golden.read_text().splitlines()]
    assert records[0] == {"id": "g0", "question": "is it cancer", "expect": [["malignant"]]}
    phrase = records[1]["expect"][0][0]
    assert "todo" not in records[1] and "tryptophan" in phrase.lower()
    assert records[2] == {"id": "f2", "question": "can I renew my passport", "out_of_scope": True}
    assert "Golden questions to finish" not in shown(at, at.sidebar)


def problem_notes(at: AppTest) -> list[str]:
    return [m.value for m in at.sidebar.markdown if m.value.startswith('<div class="nets-problem" role="alert">')]


@pytest.mark.parametrize("question_id, shown_id", [
    ("f0", "f0"),
    ("first\nsecond " + "x" * 100, "first second " + "x" * 26 + "…"),  # one short line, whatever the file holds
], ids=["plain", "long-with-newline"])
def test_a_waiting_golden_question_that_cannot_be_searched_is_one_line_in_the_panel(monkeypatch, tmp_path,
                                                                                     question_id, shown_id):
    golden = tmp_path / "golden-questions.jsonl"
    golden.write_text(json.dumps({"id": question_id, "question": "", "expect": [], "todo": "fill in"}) + "\n"
                      '{"id": "f1", "question": "which foods make flushing worse", "expect": [], "todo": "fill in"}\n')
    at = editor_app(monkeypatch).run()
    assert not at.exception
    assert problem_notes(at) == [cards.note_html(
        "This question cannot be searched (the question is empty; type a few words about what you want to know); "
        f"correct or remove its line (id '{shown_id}') in golden-questions.jsonl.", "nets-problem", "alert")]
    assert [b.label for b in at.sidebar.button].count("Our pages do not cover it") == 1  # f1's only
    button(at, "This answers it (1)", at.sidebar).click()
    at.run()
    assert not at.exception and "todo" not in json.loads(golden.read_text().splitlines()[1])


def test_a_full_disk_when_a_golden_question_is_finished_is_one_line_and_changes_nothing(monkeypatch, tmp_path):
    from ..index_copies import fill_disk_at

    golden = tmp_path / "golden-questions.jsonl"
    golden.write_text('{"id": "f1", "question": "can I renew my passport", "expect": [], "todo": "fill in"}\n')
    before = golden.read_bytes()
    at = editor_app(monkeypatch).run()
    fill_disk_at(monkeypatch, "replace", r"golden-questions\.jsonl")
    button(at, "Our pages do not cover it", at.sidebar).click()
    at.run()
    assert not at.exception
    assert problem_notes(at) == [cards.note_html("Could not write golden-questions.jsonl: No space left on device",
                                                 "nets-problem", "alert")]
    assert golden.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if "golden" in p.name] == ["golden-questions.jsonl"]


# --------------------------------------------------------------------------- what the page process keeps tuned
