"""The search page driven in-process with Streamlit's AppTest, on a real index built from the seed page."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from nets_search.page import cards
from nets_search.page import editor
from nets_search.page import reader as page
from nets_search.page import setup as page_setup
from nets_search.index import store
from nets_search.search.labels import strength_of
from nets_search.build.build import BuildSettings, build_index
from nets_search.types import Passage, Result

from ..conftest import LIBRARY, copy_seed_page

ROOT = Path(__file__).resolve().parents[2]
FOODS = "what foods should I avoid?"
INJECTIONS = [
    "<script>alert('x')</script> flushing",
    "[click here](javascript:alert(1)) diarrhoea",
    "**bold** text about _tumours_",
]


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> tuple[Path, Path]:
    """(corpus, index) built once per session from the seed page, with the real model."""
    root = tmp_path_factory.mktemp("seed")
    corpus = root / "corpus"
    copy_seed_page(corpus)
    build_index(corpus, root / "index", BuildSettings())
    return corpus, root / "index"


@pytest.fixture(autouse=True)
def page_env(monkeypatch, tmp_path, seed_index):
    """Point the page at the seed index and fresh feedback files; forget cached searchers between tests.

    The cached model is kept on purpose: it is read-only, and reloading it would cost ~4 s per test.
    """
    corpus, index = seed_index
    monkeypatch.setenv("NETS_SEARCH_INDEX", str(index))
    monkeypatch.setenv("NETS_SEARCH_CORPUS", str(corpus))
    monkeypatch.setenv("NETS_SEARCH_FEEDBACK_DB", str(tmp_path / "feedback.sqlite"))
    monkeypatch.setenv("NETS_SEARCH_GOLDEN", str(tmp_path / "golden-questions.jsonl"))
    monkeypatch.delenv("NETS_SEARCH_EDITOR", raising=False)
    monkeypatch.delenv("NETS_SEARCH_FEEDBACK", raising=False)
    forget_limits()
    page_setup.clear_caches(keep_model=True)
    st.cache_data.clear()
    yield
    forget_limits()
    page_setup.clear_caches(keep_model=True)
    st.cache_data.clear()


def forget_limits() -> None:
    """Wrong editor tokens and feedback replies are counted for the life of the process: each test starts afresh."""
    for limit in (editor.WRONG_TRIES, *page.REPLY_LIMITS):
        limit.clear()


def new_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


TOKEN = "correct horse battery staple"


def editor_app(monkeypatch) -> AppTest:
    """The page in editor mode, in a browser session that has entered the editor token."""
    monkeypatch.setenv("NETS_SEARCH_EDITOR", "1")
    monkeypatch.setenv("NETS_SEARCH_EDITOR_TOKEN", TOKEN)
    at = new_app()
    at.session_state["editor_proof"] = editor.editor_proof(TOKEN)
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key=page.QUESTION).input(question)
    button(at, "Search").click()
    return at.run()


def button(at: AppTest, label: str, container=None):
    found = [b for b in (container or at).button if b.label == label]
    assert found, f"no button {label!r}; buttons: {[b.label for b in (container or at).button]}"
    return found[0]


def shown(at: AppTest, container=None) -> str:
    """All Markdown, headings and code the page shows, as source text."""
    where = container or at
    parts = [m.value for m in where.markdown] + [c.value for c in where.code]
    parts += [h.value for h in (*where.title, *where.header, *where.subheader)]
    return "\n".join(parts)


def result_cards(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith('<div class="nets-card">')]


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
    assert "Best answer from our information" in [h.value for h in at.header]
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
        result = Result(rank=1, score=0.01, passage=passage, retriever_ranks=(("dense", 1), ("lexical", 1)))
        response = SearchResponse("how do I renew my passport?", (result,), no_good_match=True)
        page.render_results(response, Pages())

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    assert "Our NETs information does not seem to cover this" in [h.value for h in at.header]
    folded = [e for e in at.expander if e.label == "Nearest passages (weak matches)"]
    assert "care team" in shown(at)
    assert len(folded) == 1 and len(result_cards(folded[0])) == 1  # weak matches are folded away, not shown as answers
    card = result_cards(at)[0]
    assert "Weak match" in card and "Strong match" not in card
    assert "javascript" not in card  # a source that is not an http(s) link is not linked


def _corrupt_copy(seed_index, tmp_path) -> Path:
    index = tmp_path / "damaged"
    shutil.copytree(seed_index[1], index)
    version = store.current_version(index)
    (store.version_dir(index, version) / store.VECTORS_FILE).write_bytes(b"garbage")
    return index


@pytest.mark.parametrize("damage", ["missing", "corrupted"])
def test_a_broken_index_shows_readers_a_plain_message_and_no_details(monkeypatch, tmp_path, seed_index, caplog, damage):
    index = tmp_path / "no-index-here" if damage == "missing" else _corrupt_copy(seed_index, tmp_path)
    monkeypatch.setenv("NETS_SEARCH_INDEX", str(index))
    at = new_app()
    at.query_params["q"] = FOODS
    at.run()
    assert not at.exception
    text = shown(at)
    assert page.UNAVAILABLE in text
    assert "/" not in text.replace("</", "").replace("/>", "")  # no server path reaches the reader
    assert not re.search(r"Error|Exception|v20\d{6}T", text) and str(tmp_path) not in text
    assert not any(b.label in ("Rebuild index", "Build the index") for b in at.button)
    assert any("search unavailable" in r.getMessage() for r in caplog.records)  # the details are in the log


def test_a_missing_index_offers_the_build_button_in_editor_mode(monkeypatch, tmp_path):
    monkeypatch.setenv("NETS_SEARCH_INDEX", str(tmp_path / "no-index-here"))
    at = editor_app(monkeypatch).run()
    assert button(at, "Build the index", at.sidebar)


def test_editor_controls_are_hidden_unless_editor_mode(monkeypatch):
    public = new_app().run()
    assert not public.sidebar.children or not public.sidebar.button
    assert not any(b.label == "Rebuild index" for b in public.button)
    assert "Editor panel" not in shown(public)

    editor = editor_app(monkeypatch).run()
    assert button(editor, "Rebuild index", editor.sidebar)
    panel = shown(editor, editor.sidebar)
    assert "What is indexed" in panel and "Passages:</strong> 8" in panel and "all-MiniLM-L6-v2" in panel
    assert "up to date" in panel


EDITOR_LABELS = ("Rebuild index", "Build the index", "Add to golden questions")


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
    assert "What is indexed" not in shown(at, at.sidebar)
    if not token_set:
        assert "no editor token is set on the server" in shown(at, at.sidebar)


@pytest.mark.parametrize("short", ["x", "a" * (editor.MIN_TOKEN_LENGTH - 1)])
def test_a_token_too_short_to_resist_guessing_leaves_the_panel_off_and_says_why(monkeypatch, short):
    monkeypatch.setenv("NETS_SEARCH_EDITOR", "1")
    monkeypatch.setenv("NETS_SEARCH_EDITOR_TOKEN", short)
    at = new_app()
    at.session_state["editor_proof"] = editor.editor_proof(short)  # even a session holding its proof
    at.run()
    assert "shorter than 16 characters" in shown(at, at.sidebar)
    assert not at.sidebar.text_input and not any(b.label in EDITOR_LABELS for b in at.button)


def gate_app(monkeypatch) -> AppTest:
    """A new browser session on the page in editor mode, token set on the server but not entered."""
    monkeypatch.setenv("NETS_SEARCH_EDITOR", "1")
    monkeypatch.setenv("NETS_SEARCH_EDITOR_TOKEN", TOKEN)
    return new_app().run()


def enter_token(at: AppTest, token: str) -> str:
    """Type a token and press Unlock; returns what the sidebar then says."""
    at.text_input(key="editor_token_input").input(token)
    button(at, "Unlock the editor panel", at.sidebar).click()
    return shown(at.run(), at.sidebar)


PAUSED = "Too many wrong tries"


def test_wrong_tokens_pause_further_wrong_tries_but_the_right_token_opens_during_the_pause(monkeypatch):
    at = gate_app(monkeypatch)
    for _ in range(editor.MAX_TOKEN_TRIES):
        assert "That is not the editor token." in enter_token(at, "guess")
    assert PAUSED in enter_token(at, "guess")
    assert PAUSED in enter_token(gate_app(monkeypatch), "guess")  # a new session from the same source is paused too
    enter_token(at, TOKEN)  # paused, yet the right token opens: an attacker's guesses never lock an editor out
    assert button(at, "Rebuild index", at.sidebar)
    assert at.session_state["editor_proof"] != TOKEN  # the session holds a keyed hash, not the token


@pytest.mark.parametrize(("source", "session", "paused"), [
    ("203.0.113.7", "another tab", True),  # the same address, a new browser session
    ("198.51.100.9", "guessing tab", True),  # the same session, a new address (a phone changing networks)
    ("198.51.100.9", "another tab", False),  # someone else entirely
])
def test_the_wrong_token_pause_is_per_source_and_per_session(monkeypatch, source, session, paused):
    where = {"source": "203.0.113.7", "session": "guessing tab"}
    monkeypatch.setattr(editor, "client_source", lambda trusted: where["source"])
    monkeypatch.setattr(editor, "_session_id", lambda: where["session"])
    at = gate_app(monkeypatch)
    for _ in range(editor.MAX_TOKEN_TRIES):
        enter_token(at, "guess")
    assert PAUSED in enter_token(at, "guess")
    where.update(source=source, session=session)
    assert (PAUSED in enter_token(at, "guess")) == paused


def page_model(index: Path):
    """The model the page loaded for this index, fetched as `page_setup.get_searcher` fetches it."""
    from nets_search.encode.encoder import base_backend

    return page_setup.load_encoder(base_backend(store.current_manifest(index).backend), str(index / "cache"))


def clear_cache_as_a_browser_can() -> None:
    """What Streamlit runs when any browser session sends BackMsg(clear_cache=True): its own handler, on a stand-in
    for the sending session (whose session state it also empties)."""
    from types import SimpleNamespace

    from streamlit.runtime.app_session import AppSession

    AppSession._handle_clear_cache_request(SimpleNamespace(_session_state={}))


@pytest.mark.parametrize("corpus_kind", ["seed", "library"])
def test_a_browsers_clear_cache_keeps_the_wrong_try_count_the_model_and_the_searcher(monkeypatch, request, seed_index,
                                                                                    corpus_kind):
    corpus, index = seed_index if corpus_kind == "seed" else (LIBRARY, request.getfixturevalue("library_index"))
    monkeypatch.setenv("NETS_SEARCH_INDEX", str(index))
    monkeypatch.setenv("NETS_SEARCH_CORPUS", str(corpus))
    at = gate_app(monkeypatch)
    for _ in range(editor.MAX_TOKEN_TRIES):
        enter_token(at, "guess")
    searcher, model = page_setup.get_searcher(index), page_model(index)
    clear_cache_as_a_browser_can()
    after = gate_app(monkeypatch)  # a new session, as a client that cleared its own state would come back
    assert PAUSED in enter_token(after, "guess")
    assert page_setup.get_searcher(index) is searcher  # readers keep the loaded index and model
    assert page_model(index) is model
    after.query_params["q"] = FOODS
    assert "tryptophan" in result_cards(after.run())[0]


def test_editor_mode_from_the_command_line_flag():
    assert page_setup.load_config(["--editor"], {}).editor
    assert not page_setup.load_config([], {}).editor
    assert page_setup.load_config([], {"NETS_SEARCH_EDITOR": "1"}).editor
    assert page_setup.load_config([], {"NETS_SEARCH_FEEDBACK": "0"}).feedback_db is None


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
    assert "(once)" in shown(editor, editor.sidebar)
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


SESSIONS = page.REPLIES_PER_MINUTE + 2
A, B = "203.0.113.7", "198.51.100.9"


@pytest.mark.parametrize(("sources", "per_day", "stored"), [
    (None, None, page.REPLIES_PER_MINUTE),  # the page's own reading: every test session comes from one "unknown"
    ((A,), None, page.REPLIES_PER_MINUTE),
    ((A, B), None, SESSIONS),  # another source has a limit of its own
    ((A, B), 3, 6),  # and no source gets past its daily limit
])
def test_new_browser_sessions_from_one_source_share_the_reply_limits(monkeypatch, tmp_path, sources, per_day, stored):
    turns = iter(range(SESSIONS))
    if sources:
        monkeypatch.setattr(page, "client_source", lambda trusted: sources[next(turns) % len(sources)])
    if per_day:
        monkeypatch.setattr(page.REPLY_LIMITS[1], "most", per_day)
    for _ in range(SESSIONS):
        assert "Thank you" in shown(reply_in_a_new_session())  # a reply over the limit is thanked, not stored
    with sqlite3.connect(tmp_path / "feedback.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM replies").fetchone()[0] == stored


@pytest.mark.parametrize(("forwarded", "peer", "proxies", "source"), [
    ([], "203.0.113.7", 0, "203.0.113.7"),
    (["198.51.100.9"], "10.0.0.2", 0, "10.0.0.2"),  # not trusted: the header is ignored
    (["198.51.100.9"], "10.0.0.2", 1, "198.51.100.9"),
    (["6.6.6.6, 198.51.100.9"], "10.0.0.2", 1, "198.51.100.9"),  # what the client wrote itself is not believed
    (["6.6.6.6", "198.51.100.9"], "10.0.0.2", 1, "198.51.100.9"),  # the header sent twice
    (["6.6.6.6, 198.51.100.9, 10.0.0.3"], "10.0.0.2", 2, "198.51.100.9"),
    ([], "10.0.0.2", 1, "10.0.0.2"),  # came round the proxy
    (["not an address"], "10.0.0.2", 1, "unknown"),
    ([], None, 0, "unknown"),  # Streamlit gives no address for loopback
    ([], "2001:db8::1", 0, "2001:db8::/64"),
    (["2001:db8::2"], "10.0.0.2", 1, "2001:db8::/64"),
    ([], "::ffff:203.0.113.7", 0, "203.0.113.7"),
])
def test_the_source_of_a_session_believes_only_the_trusted_proxies(forwarded, peer, proxies, source):
    assert page_setup.source_of(forwarded, peer, proxies) == source


@pytest.mark.parametrize(("value", "proxies"), [(None, 0), ("", 0), ("0", 0), ("1", 1), ("2", 2), ("yes", 1),
                                                ("off", 0), ("nginx", 0)])
def test_trusting_x_forwarded_for_is_a_setting(value, proxies):
    environ = {} if value is None else {"NETS_SEARCH_TRUST_FORWARDED": value}
    assert page_setup.load_config([], environ).trusted_proxies == proxies


def test_rebuild_in_editor_mode_swaps_the_new_index_in_without_a_restart(monkeypatch, tmp_path, seed_index):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(seed_index[0], corpus)
    shutil.copytree(seed_index[1], index)
    monkeypatch.setenv("NETS_SEARCH_CORPUS", str(corpus))
    monkeypatch.setenv("NETS_SEARCH_INDEX", str(index))
    at = editor_app(monkeypatch)
    at.query_params["q"] = "travel insurance abroad"
    at.run()
    assert not any("travel insurance" in c for c in result_cards(at))
    old_version = store.current_version(index)

    (corpus / "travel.md").write_text(
        "# Travelling with NETs\n\n## Insurance\n\n"
        "Tell your travel insurance company about your NETs before you go abroad.\n"
    )
    editor.pending_changes_cached.clear()
    at.run()
    assert "corpus has changed" in shown(at, at.sidebar)
    button(at, "Rebuild index", at.sidebar).click()
    at.run()
    assert not at.exception
    new_version = store.current_version(index)
    assert new_version != old_version
    # The rebuild reruns the page: the panel shows the new state at once, the search already uses the new version.
    panel = shown(at, at.sidebar)
    assert new_version in panel and old_version not in panel
    assert "up to date" in panel and "corpus has changed" not in panel
    assert "Done&#58; the new index is in use." in panel and "added: travel" in panel
    assert "<mark>insurance</mark> company" in result_cards(at)[0]
    assert "Travelling with NETs" in result_cards(at)[0]


@pytest.mark.parametrize(
    ("dense", "lexical", "no_good_match", "tentative", "label"),
    [
        (1, 1, False, False, "Strong match"),
        (2, 2, False, False, "Strong match"),
        (3, 1, False, False, "Good match"),
        (10, 10, False, False, "Good match"),
        (1, None, False, False, "Related"),
        (11, 1, False, False, "Related"),
        (1, 1, True, False, "Weak match"),
        (1, 1, False, True, "Related"),  # the engine is not sure our pages cover the question
        (3, 1, False, True, "Related"),
    ],
)
def test_strength_labels_come_from_retriever_agreement_capped_by_confidence(dense, lexical, no_good_match, tentative,
                                                                           label):
    passage = Passage("p", "d", "T", "S", "text", 0, 0)
    result = Result(rank=1, score=0.03, passage=passage, retriever_ranks=(("dense", dense), ("lexical", lexical)))
    assert strength_of(result, no_good_match, tentative).label == label
    html = cards.card_html(result, frozenset(), no_good_match, tentative=tentative)
    assert f">{label}</p>" in html


def test_an_answer_the_engine_is_unsure_of_is_labelled_related_with_a_note(monkeypatch):
    from nets_search.search.confidence import Calibration
    from nets_search.page.highlight import escape_text

    monkeypatch.setattr(Calibration, "is_confident", lambda self, evidence: False)
    text = shown(ask(new_app().run(), FOODS))
    assert escape_text(page.TENTATIVE_NOTE) in text and "Best answer from our information" in text
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

    assert escape_text(page.FEEDBACK_NOTICE) in text and "nothing that identifies" not in text


def test_a_table_passage_is_drawn_as_a_table_with_escaped_cells():
    from nets_search.page.highlight import highlight

    text = "Lead in\nA | B | C\n1 | 2 | <b>3</b>\nafter"
    html = cards.with_tables(highlight(text, frozenset({"c"}), best_sentence=(text.index("1"), text.index("\nafter"))))
    assert html.count("<table>") == 1 and html.count("<th>") == 3 and html.count("<td>") == 3
    assert '<tr class="best-sentence"><td>1</td>' in html and "<th><mark>C</mark></th>" in html
    assert "<td>&lt;b&gt;3&lt;/b&gt;</td>" in html  # cell text stays escaped
    assert html.startswith("Lead in<br>") and html.endswith("</table></div>after")  # no blank line after a table
    lone = highlight("one line with a | pipe", frozenset())
    assert cards.with_tables(lone) == lone  # a lone line is no table
    at = ask(new_app().run(), FOODS)
    card = result_cards(at)[0]
    assert "<table>" in card and card.count("<th>") == 3  # the seed page's symptoms table, 3 columns


def test_the_rest_of_the_section_leaves_out_the_passage_already_shown():
    section = [Passage(f"p{n}", "d", "T", "S", f"Passage number {n}.", n, 0) for n in range(3)]
    html = cards.section_html(section, "p1", frozenset())
    assert "Passage number 0." in html and "Passage number 2." in html
    assert "Passage number 1." not in html and "the passage shown above" in html
    result = Result(rank=1, score=1.0, passage=section[1], retriever_ranks=(("dense", 1), ("lexical", 1)))
    card = cards.card_html(result, frozenset(), False, None, section)
    assert card.count("Passage number 1.") == 1 and "<details" in card


@pytest.mark.parametrize(("written", "shown_as"), [("2018-09", "September 2018"), ("2024-01-15", "January 2024"),
                                                   ("spring 2020", "spring 2020")])
def test_the_review_date_is_written_in_words(written, shown_as):
    assert cards.reviewed_words(written) == shown_as


@pytest.mark.parametrize(("settings", "expected"), [
    (None, "call NHS 111"),
    ("next_step: 'Call the NETs nurse helpline on 0800 000 000 (weekdays 9 to 5).'\n"
     "next_step_link: https://example.org/help\n", "0800 000 000"),
    ("next_step: [unclosed\n", "call NHS 111"),  # a broken settings file never breaks the page
])
def test_after_no_the_page_offers_the_next_step_an_editor_set(monkeypatch, tmp_path, seed_index, settings, expected):
    corpus = tmp_path / "corpus"
    shutil.copytree(seed_index[0], corpus)
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


def test_a_file_that_cannot_be_read_counts_as_a_change_in_the_panel(monkeypatch, tmp_path, seed_index):
    corpus = tmp_path / "corpus"
    shutil.copytree(seed_index[0], corpus)
    (corpus / "broken.md").write_bytes(b"\xff\xfe not utf-8 \x00")
    monkeypatch.setenv("NETS_SEARCH_CORPUS", str(corpus))
    at = editor_app(monkeypatch).run()
    panel = shown(at, at.sidebar)
    assert "corpus has changed" in panel and "broken.md &#40;cannot be read&#41;" in panel


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


def test_the_page_switches_nagle_off_on_its_listening_socket_and_the_connections_accepted_from_it():
    import socket

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # protocol 0, as Streamlit binds its own
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    early, _ = listener.accept()
    try:
        assert early.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0  # what asyncio leaves on such sockets
        page_setup.serve_without_nagle_delay.clear()
        assert page_setup.serve_without_nagle_delay() >= 2
        late_client = socket.create_connection(listener.getsockname())
        late, _ = listener.accept()
        assert early.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert late.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1  # inherited from the listener
        for sock in (late, late_client):
            sock.close()
    finally:
        for sock in (early, client, listener):
            sock.close()


def test_the_loaded_heap_is_frozen_once_per_version_and_a_replaced_searcher_is_still_freed():
    import gc
    import weakref

    class Loaded:  # a cycle, as a searcher's objects may be: freed only by the collector
        def __init__(self) -> None:
            self.me = self

    page_setup.settle_heap.clear()
    old = Loaded()
    gone = weakref.ref(old)
    page_setup.settle_heap("v1")
    assert gc.get_freeze_count() > 0
    frozen = gc.get_freeze_count()
    page_setup.settle_heap("v1")
    assert gc.get_freeze_count() == frozen  # once per version, not per search
    del old
    page_setup.settle_heap("v2")  # a rebuild's new version: the old searcher's cycle is collected, not kept frozen
    assert gone() is None
    gc.unfreeze()
