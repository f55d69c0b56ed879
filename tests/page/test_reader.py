"""The readers' page driven in-process with Streamlit's AppTest on a real index built from the seed page: questions,
results, notes, a broken index, feedback replies and their limits."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from nets_search.page import reader as page
from nets_search.page import reply
from nets_search.page import setup as page_setup
from nets_search.index import layout, store

from .conftest import FOODS, INJECTIONS, ask, button, editor_app, headings, new_app, result_cards, shown

pytestmark = pytest.mark.usefixtures("page_env")


def test_a_question_returns_the_tryptophan_passage_first_with_matched_words_marked():
    at = new_app().run()
    assert not at.exception
    ask(at, FOODS)
    assert not at.exception
    assert at.query_params["q"] == FOODS
    found = result_cards(at)
    assert len(found) == page.DEFAULT_RESULT_COUNT
    assert "tryptophan" in found[0]
    assert "<mark>foods</mark>" in found[0] and "<mark>Avoiding</mark>" in found[0]
    assert "Best answer from our information" in headings(at)
    assert "Strong match" in found[0]
    # Readers first: one answer in full, with where it comes from; the others folded away.
    assert "From <cite>NETs&#58; key facts</cite> · Ipsen Ltd · reviewed September 2018" in found[0]
    folded = [e for e in at.expander if e.label == f"More passages ({page.DEFAULT_RESULT_COUNT - 1})"]
    assert len(folded) == 1 and len(result_cards(folded[0])) == page.DEFAULT_RESULT_COUNT - 1


def test_the_question_in_the_url_is_searched_on_load_and_fills_the_box():
    at = new_app()
    at.query_params["q"] = FOODS
    at.run()
    assert at.text_input(key=page.QUESTION).value == FOODS
    assert "tryptophan" in result_cards(at)[0]


def test_an_example_question_can_be_clicked():
    at = new_app().run()
    button(at, page.EXAMPLE_QUESTIONS[0]).click()
    at.run()
    assert at.query_params["q"] == page.EXAMPLE_QUESTIONS[0]
    assert result_cards(at)


def test_the_safety_note_is_always_shown():
    at = new_app().run()
    assert "call 999" in shown(at) and "not medical advice" in shown(at)
    ask(at, FOODS)
    assert "call 999" in shown(at)


@pytest.mark.parametrize("question", ["", "   \t  "])
def test_an_empty_question_gets_a_gentle_prompt_and_no_search(question):
    at = new_app().run()
    ask(at, question)
    assert "Please type a question first" in shown(at)
    assert not result_cards(at)
    assert "q" not in at.query_params


@pytest.mark.parametrize("question", INJECTIONS)
def test_html_and_markdown_in_the_question_are_shown_literally(question):
    at = new_app().run()
    ask(at, question)
    assert not at.exception
    asked = [m.value for m in at.markdown if 'class="nets-asked"' in m.value]
    assert len(asked) == 1
    source = asked[0]
    assert "<script" not in source and "](javascript" not in source and "**" not in source and "_tumours_" not in source
    assert "&lt;script&gt;" in source or "&#91;click here&#93;" in source or "&#42;&#42;bold&#42;&#42;" in source
    for text in (m.value for m in at.markdown):
        assert "<script" not in text.lower()


def test_a_very_long_question_is_searched_on_a_prefix_with_a_note():
    letter = "Dear doctor, I have had flushing of the face and diarrhoea after meals. " * 200
    at = new_app().run()
    ask(at, letter)
    assert not at.exception
    assert "Your question was very long" in shown(at)
    assert 0 < len(at.query_params["q"]) <= 1000
    assert result_cards(at)


def test_no_good_match_says_so_plainly_and_offers_the_nearest_passages_under_a_weaker_heading():
    def script():
        from nets_search.page import reader as page
        from nets_search.types import PageInfo, Passage, Result, SearchResponse

        class Pages:
            def neighbours(self, passage_id):
                return []

            def page_info(self, doc_id):
                return PageInfo("NETs: key facts", "javascript:alert(1)")

        passage = Passage("p1", "d1", "NETs: key facts", "Diet", "Avoid tryptophan.", 0, 0, "javascript:alert(1)")
        result = Result(rank=1, score=0.01, passage=passage, retriever_ranks=(("dense", 1), ("lexical", 1)),
                        label="weak")
        response = SearchResponse("how do I renew my passport?", (result,), no_good_match=True)
        page.render_results(response, Pages())

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    assert "Our NETs information does not seem to cover this" in headings(at)
    assert "Try asking in different words" in shown(at)
    folded = [e for e in at.expander if e.label == "Nearest passages (weak matches)"]
    assert "care team" in shown(at)
    assert len(folded) == 1 and len(result_cards(folded[0])) == 1  # weak matches are folded away, not shown as answers
    card = result_cards(at)[0]
    assert "Weak match" in card and "Strong match" not in card
    assert "javascript" not in card  # a source that is not an http(s) link is not linked


def _corrupt_copy(seed_corpus_and_index, tmp_path) -> Path:
    index = tmp_path / "damaged"
    shutil.copytree(seed_corpus_and_index[1], index)
    version = store.current_version(index)
    (store.version_dir(index, version) / layout.VECTORS_FILE).write_bytes(b"garbage")
    return index


@pytest.mark.parametrize("damage", ["missing", "corrupted"])
def test_a_broken_index_shows_readers_a_plain_message_and_no_details(monkeypatch, tmp_path, seed_corpus_and_index, caplog, damage):
    index = tmp_path / "no-index-here" if damage == "missing" else _corrupt_copy(seed_corpus_and_index, tmp_path)
    monkeypatch.setenv("NETS_SEARCH_INDEX", str(index))
    at = new_app()
    at.query_params["q"] = FOODS
    at.run()
    assert not at.exception
    text = shown(at)
    assert page.UNAVAILABLE in text
    assert "/" not in text.replace("</", "").replace("/>", "")  # no server path reaches the reader
    assert not re.search(r"Error|Exception|v20\d{6}T", text) and str(tmp_path) not in text
    assert not any(b.label in ("Publish changes", "Publish for the first time") for b in at.button)
    assert any("search unavailable" in r.getMessage() for r in caplog.records)  # the details are in the log


def test_a_feedback_reply_is_stored_and_listed_in_the_editor_panel(monkeypatch, tmp_path):
    at = new_app().run()
    ask(at, "can I take my dog to chemotherapy?")
    button(at, "No").click()
    at.run()
    assert "Thank you" in shown(at)
    with sqlite3.connect(tmp_path / "feedback.sqlite") as db:
        rows = db.execute("SELECT question, passage_ids, answered FROM replies").fetchall()
    assert len(rows) == 1
    question, passage_ids, answered = rows[0]
    assert question == "can I take my dog to chemotherapy?" and answered == 0
    assert len(json.loads(passage_ids)) == page.DEFAULT_RESULT_COUNT

    editor = editor_app(monkeypatch).run()
    assert "can I take my dog to chemotherapy?" in shown(editor, editor.sidebar)
    assert "(asked once, last" in shown(editor, editor.sidebar)
    button(editor, "Add to golden questions", editor.sidebar).click()
    editor.run()
    lines = (tmp_path / "golden-questions.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["question"] == "can I take my dog to chemotherapy?"
    assert json.loads(lines[0])["expect"] == []


def test_feedback_switched_off_shows_no_reply_buttons(monkeypatch, tmp_path):
    monkeypatch.setenv("NETS_SEARCH_FEEDBACK", "0")
    at = new_app().run()
    ask(at, FOODS)
    assert not any(b.label in ("Yes", "No") for b in at.button)
    assert not (tmp_path / "feedback.sqlite").exists()


def reply_in_a_new_session() -> AppTest:
    """A new browser session: search, then answer "Yes"."""
    at = new_app()
    at.query_params["q"] = FOODS
    at.run()
    button(at, "Yes").click()
    return at.run()


SESSIONS = reply.REPLIES_PER_MINUTE + 2


A, B = "203.0.113.7", "198.51.100.9"


@pytest.mark.parametrize(("sources", "per_day", "stored"), [
    (None, None, reply.REPLIES_PER_MINUTE),  # the page's own reading: every test session comes from one "unknown"
    ((A,), None, reply.REPLIES_PER_MINUTE),
    ((A, B), None, SESSIONS),  # another source has a limit of its own
    ((A, B), 3, 6),  # and no source gets past its daily limit
])
def test_new_browser_sessions_from_one_source_share_the_reply_limits(monkeypatch, tmp_path, sources, per_day, stored):
    turns = iter(range(SESSIONS))
    if sources:
        monkeypatch.setattr(reply, "client_source", lambda trusted: sources[next(turns) % len(sources)])
    if per_day:
        monkeypatch.setattr(reply.REPLY_LIMITS[1], "most", per_day)
    for _ in range(SESSIONS):
        assert "Thank you" in shown(reply_in_a_new_session())  # a reply over the limit is thanked, not stored
    with sqlite3.connect(tmp_path / "feedback.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM replies").fetchone()[0] == stored


def test_an_answer_the_engine_is_unsure_of_is_labelled_related_with_a_note(monkeypatch):
    from nets_search.search.confidence import Calibration
    from nets_search.page.highlight import escape_text

    monkeypatch.setattr(Calibration, "is_confident", lambda self, evidence: False)
    at = ask(new_app().run(), FOODS)
    text = shown(at)
    assert escape_text(page.TENTATIVE_NOTE) in text
    assert page.CLOSEST in headings(at) and page.BEST_ANSWER not in headings(at)  # no "best answer" over a guess
    assert ">Related</p>" in text and "Strong match" not in text and "Good match" not in text


def test_a_repaired_typo_is_shown_with_a_way_back_to_the_readers_words():
    at = ask(new_app().run(), "diarea at night")
    text = shown(at)
    assert "Showing results for <em>diarrhoea at night</em>" in text
    assert 'href="?q=diarea+at+night&amp;exact=1"' in text
    at = new_app()
    at.query_params["q"] = "diarea at night"
    at.query_params["exact"] = "1"
    assert "Showing results for" not in shown(at.run())


def test_a_key_word_our_pages_never_mention_is_named_and_no_match_is_strong():
    at = ask(new_app().run(), "side effects of lanreotide")
    text = shown(at)
    assert "does not mention “lanreotide”" in text
    assert "Strong match" not in text and "Good match" not in text


def test_the_feedback_notice_does_not_promise_anonymity():
    at = ask(new_app().run(), FOODS)
    text = shown(at)
    from nets_search.page.highlight import escape_text

    assert escape_text(reply.FEEDBACK_NOTICE) in text and "nothing that identifies" not in text


@pytest.mark.parametrize(("settings", "expected"), [
    (None, "call NHS 111"),
    ("next_step: 'Call the NETs nurse helpline on 0800 000 000 (weekdays 9 to 5).'\n"
     "next_step_link: https://example.org/help\n", "0800 000 000"),
    ("next_step: [unclosed\n", "call NHS 111"),  # a broken settings file never breaks the page
])
def test_after_no_the_page_offers_the_next_step_an_editor_set(monkeypatch, tmp_path, seed_corpus_and_index, settings, expected):
    corpus = tmp_path / "corpus"
    shutil.copytree(seed_corpus_and_index[0], corpus)
    if settings is not None:
        (corpus / page_setup.PAGE_SETTINGS_FILE).write_text(settings)
    monkeypatch.setenv("NETS_SEARCH_CORPUS", str(corpus))
    at = new_app().run()
    ask(at, FOODS)
    assert "Sorry this did not answer" not in shown(at)
    button(at, "No").click()
    at.run()
    assert not at.exception
    text = shown(at)
    assert "Sorry this did not answer your question" in text and expected in text
    assert ("example.org/help" in text) == ("example.org" in (settings or ""))


def test_back_and_forward_keep_the_question_box_in_step_with_the_results():
    at = new_app().run()
    ask(at, FOODS)
    ask(at, "what is carcinoid syndrome?")
    at.query_params["q"] = FOODS  # what the browser's Back button does: the URL changes, the page reruns
    at.run()
    assert at.text_input(key=page.QUESTION).value == FOODS
    assert "tryptophan" in result_cards(at)[0]


def test_the_style_sheet_is_package_data_with_no_angle_bracket_for_the_sanitiser_to_cut_at():
    """page.css is read from the package; a '<' (even in a comment) made st.html drop the rules after it."""
    css = page.page_css()
    assert "<" not in css and ".nets-card {" in css and css.rstrip().endswith("}")


def _render_made_up(urgent: bool, no_good_match: bool, label: str = "strong", tentative: bool = False) -> AppTest:
    """render_results over a response made up in the test (one passage), run in its own AppTest."""
    def script(urgent: bool, no_good_match: bool, label: str, tentative: bool):
        from nets_search.page import reader as page
        from nets_search.types import PageInfo, Passage, Result, SearchResponse, Urgency

        class Pages:
            def neighbours(self, passage_id):
                return []

            def page_info(self, doc_id):
                return PageInfo("NETs: key facts")

        passage = Passage("p1", "d1", "NETs: key facts", "Breathing", "Wheezing can be a symptom.", 0, 0)
        result = Result(1, 0.5, passage, (("dense", 1), ("lexical", 1)), (0, 26), label)
        urgency = Urgency(True, "breathing", "trouble breathing", True) if urgent else Urgency()
        response = SearchResponse("my dad cant breathe", (result,), no_good_match=no_good_match, urgency=urgency,
                                  tentative=tentative)
        page.render_results(response, Pages())

    at = AppTest.from_function(script, args=(urgent, no_good_match, label, tentative), default_timeout=30).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("no_good_match", [True, False])
def test_an_urgent_question_starts_its_results_with_the_emergency_box_covered_or_not(no_good_match):
    at = _render_made_up(urgent=True, no_good_match=no_good_match, label="weak" if no_good_match else "strong")
    first = at.markdown[0].value
    assert first.startswith('<div class="nets-urgent" role="alert">') and "999" in first
    assert "trouble breathing" in first
    assert "Try asking in different words" not in shown(at)  # never sent away to rephrase


@pytest.mark.parametrize(("label", "tentative", "heading"), [
    ("strong", False, page.BEST_ANSWER), ("good", False, page.BEST_ANSWER),
    ("related", False, page.CLOSEST), ("strong", True, page.CLOSEST),
])
def test_best_answer_stands_only_over_an_answer_that_is_surely_covered(label, tentative, heading):
    at = _render_made_up(urgent=False, no_good_match=False, label=label, tentative=tentative)
    assert headings(at) == [heading]
    assert not any("nets-urgent" in m.value for m in at.markdown)


def test_a_real_urgent_question_gets_the_box_and_a_question_about_a_crisis_does_not():
    text = shown(ask(new_app().run(), "my dad is flushing and cant breathe properly"))
    assert "nets-urgent" in text and 'Call <a href="tel:999">999</a> now' in text
    assert text.index("nets-urgent") < text.index("nets-card")
    assert "Try asking in different words" not in text
    text = shown(ask(new_app().run(), "what is a carcinoid crisis"))
    assert "nets-urgent" not in text


def focus_script(at: AppTest) -> str:
    """The body of the page's focus-and-announce script, or '' when the run wrote none."""
    bodies = [element.proto.body for element in at.get("html") if "nets-live" in element.proto.body]
    assert len(bodies) <= 1
    return bodies[0] if bodies else ""


def test_a_search_an_example_and_a_reply_announce_and_move_focus():
    at = ask(new_app().run(), FOODS)
    script = focus_script(at)
    assert '"5 passages found. The best answer is first."' in script and '".nets-urgent-title, ' in script
    at.run()  # a rerun that changed nothing: nothing said again, focus left where the reader put it
    assert focus_script(at) == ""
    button(at, "No").click()
    script = focus_script(at.run())
    assert '"Thank you' in script and '".nets-feedback-heading"' in script
    at = new_app().run()
    button(at, page.EXAMPLE_QUESTIONS[1]).click()
    script = focus_script(at.run())
    assert "passages found." in script and '".nets-urgent-title, .nets-results-heading"' in script


def test_a_shared_link_announces_its_results_without_moving_focus():
    at = new_app()
    at.query_params["q"] = "how do I renew my passport?"
    script = focus_script(at.run())
    assert "No good match" in script and 'const target = "";' in script


def test_the_reader_cannot_reach_the_focus_script():
    at = ask(new_app().run(), '</script><script>alert(1)</script> foods')
    script = focus_script(at)
    assert "alert" not in script and script.count("</script>") == 1
