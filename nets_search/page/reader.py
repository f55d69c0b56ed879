"""The search page (Streamlit). `app.py` calls `main()`; everything the page shows is built here.

Flow of one run: read the settings (environment + command line) → editor panel (sidebar, editor mode only; a
rebuild happens here, before the search, so the search below already uses the new version) → question box →
search → result cards → "did this answer your question?".

The question lives in the URL (`?q=...`), so the URL is the state of a search: shareable, bookmarkable,
reloadable. Every piece of text from a reader or from the corpus goes through `highlight.escape_text` or
`highlight.highlight` before it reaches `st.markdown(..., unsafe_allow_html=True)`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Sequence

import streamlit as st

from nets_search.page import editor
from nets_search.page.cards import cached_card_html, next_step_html, note_html, searched_for_html
from nets_search.errors import IndexMissingError, NetsSearchError, QueryError
from nets_search.page.feedback import FeedbackStore, question_key
from nets_search.page.highlight import query_terms
from nets_search.page.setup import (BUILD_COMMAND, PageConfig, client_source, get_searcher, load_config, load_page_settings,
                         serve_without_nagle_delay, settle_heap, show_small)
from nets_search.page.process_state import Limit
from nets_search.search.searcher import Searcher, prepare_question
from nets_search.types import Result, SearchResponse

log = logging.getLogger(__name__)


EXAMPLE_QUESTIONS = (
    "What foods should I avoid?",
    "Why does my face go red?",
    "What is carcinoid syndrome?",
    "Are NETs cancer?",
    "Can I still drink coffee?",
)
RESULT_COUNTS = (3, 5, 10)
DEFAULT_RESULT_COUNT = 5
QUESTION = "question"  # session-state key of the question box

SAFETY_NOTE = (
    "This search finds passages in our information about neuroendocrine tumours (NETs). It is not medical "
    "advice and cannot tell you what is happening in your own body. For questions about your health, contact "
    "your care team. In an emergency, call 999."
)

SAFETY_SHORT = "Not medical advice: for your own health, ask your care team. In an emergency, call 999."


# --------------------------------------------------------------------------- callbacks


def _submit() -> None:
    text = st.session_state.get(QUESTION, "") or ""
    try:
        searched, truncated = prepare_question(text)  # also empty after dropping invisible characters
    except QueryError:
        st.session_state["empty_question"] = True
        st.query_params.pop("q", None)
        return
    st.session_state["empty_question"] = False
    st.query_params.pop("exact", None)  # a new question gets its typos repaired again
    # A pasted letter does not belong in a URL: the URL keeps the prefix that is actually searched.
    st.query_params["q"] = searched if truncated else text.strip()
    st.session_state["long_question"] = searched if truncated else None


def _ask_example(question: str) -> None:
    st.session_state[QUESTION] = question
    st.session_state["empty_question"] = False
    st.query_params.pop("exact", None)
    st.query_params["q"] = question


FEEDBACK_NOTICE = ("If you reply, we store your question (with numbers, e-mail addresses and dates masked), the "
                   "passages shown and your reply, to improve our information. Please do not type your name or other "
                   "personal details in a question.")
REPLIES_PER_MINUTE = 5  # per source address (page_setup.client_source): more is a script, not a reader
REPLIES_PER_DAY = 100  # per source address, so no one source can use up the store's daily cap (MAX_ROWS_PER_DAY)
# Per source, not per browser session (a script opens new sessions at will); kept for the process, where Streamlit's
# "clear cache" does not reach.
REPLY_LIMITS = (Limit(REPLIES_PER_MINUTE, 60), Limit(REPLIES_PER_DAY, 24 * 3600))


def _reply(config: PageConfig, question: str, passage_ids: tuple[str, ...], answered: bool) -> None:
    """Store a reply if its source is within the limits; the reader is thanked either way."""
    source = client_source(config.trusted_proxies)
    if config.feedback_db is not None and all(limit.count(source) for limit in REPLY_LIMITS):
        FeedbackStore(config.feedback_db).record(question, passage_ids, answered)  # best effort: never raises
    st.session_state[f"replied:{question_key(question)}"] = answered


# --------------------------------------------------------------------------- rendering


def main(argv: Sequence[str] = ()) -> None:
    asked = load_config(argv, os.environ)
    config = dataclasses.replace(asked, editor=editor.editor_unlocked(asked))
    st.set_page_config(
        page_title="NETs Search",
        layout="centered",
        initial_sidebar_state="expanded" if asked.editor else "collapsed",
    )
    serve_without_nagle_delay()
    st.html(f"<style>{PAGE_CSS}</style>")
    if config.editor:
        editor.render_editor_panel(config)
    elif asked.editor:
        editor.render_editor_gate(asked)
    st.title("Search our NETs information", anchor=False)
    searching = bool((st.query_params.get("q") or "").strip())
    # With results to show, one line of the safety note stays on top (the answer must fit a phone's first screen)
    # and the whole note follows the results; before a search, the whole note is on top.
    st.markdown(note_html(SAFETY_SHORT if searching else SAFETY_NOTE, "nets-safety"), unsafe_allow_html=True)
    question = render_question_box()
    if not question:
        render_examples()
        return
    render_search(config, question)
    st.markdown(note_html(SAFETY_NOTE, "nets-safety"), unsafe_allow_html=True)


def render_question_box() -> str:
    """The form; returns the question to search (from the URL), or '' when there is none."""
    url_question = (st.query_params.get("q") or "").strip()
    if st.session_state.get("url_question") != url_question:
        # A new URL (first visit, a shared link, Back or Forward): the box shows the question being answered.
        st.session_state["url_question"] = url_question
        if url_question != st.session_state.get("long_question"):  # a long pasted text stays whole in the box
            st.session_state[QUESTION] = url_question
    with st.form("search", clear_on_submit=False, border=False):
        st.text_input(
            "Your question",
            key=QUESTION,
            placeholder="For example: can I still drink coffee?",
        )
        st.form_submit_button("Search", type="primary", on_click=_submit)
    if st.session_state.get("empty_question"):
        st.markdown(
            note_html("Please type a question first, for example “what foods should I avoid?”.", "nets-prompt"),
            unsafe_allow_html=True,
        )
        return ""
    return url_question


def render_examples() -> None:
    st.header("Not sure what to ask? Try one of these", anchor=False)
    with st.container(horizontal=True, gap="small"):
        for number, example in enumerate(EXAMPLE_QUESTIONS):
            st.button(example, key=f"example-{number}", on_click=_ask_example, args=(example,))


def render_search(config: PageConfig, question: str) -> None:
    count = st.session_state.get("result_count", DEFAULT_RESULT_COUNT)
    try:
        with st.spinner("Getting the search ready…"):
            searcher = get_searcher(config.index_dir)
        response = searcher.search(question, k=count, repair=st.query_params.get("exact") != "1")
    except NetsSearchError as exc:
        render_unavailable(config, exc)
        return
    if response.truncated or st.session_state.get("long_question") == question:
        st.markdown(
            note_html(
                f"Your question was very long, so we searched its first {len(response.searched_text):,} "
                "characters. A short question in your own words usually works best."
            ),
            unsafe_allow_html=True,
        )
    render_results(response, searcher)
    with st.container(key="nets-feedback"):
        render_feedback(config, response)
    with st.container(key="nets-options"), st.expander("Search options"):
        st.select_slider("Number of passages to show", RESULT_COUNTS, key="result_count", value=DEFAULT_RESULT_COUNT)
    settle_heap(searcher.version)


UNAVAILABLE = "Search is not available right now; please try again later."


def render_unavailable(config: PageConfig, exc: NetsSearchError) -> None:
    """Readers get a plain sentence; the details (paths, versions, the error) go to the server log, and to the
    editor panel in editor mode."""
    log.error("search unavailable: %s", exc)
    if not config.editor:
        st.markdown(note_html(UNAVAILABLE, "nets-problem", "alert"), unsafe_allow_html=True)
        return
    if isinstance(exc, IndexMissingError):
        text = "The index has not been built. Use “Build the index” in the editor panel, or run: " + BUILD_COMMAND
    else:
        text = f"The search cannot answer right now: {exc}"
    st.markdown(note_html(text, "nets-problem", "alert"), unsafe_allow_html=True)
    st.code(BUILD_COMMAND, language="bash")


TENTATIVE_NOTE = "The nearest passage we found may not answer exactly: check it does, or ask your care team."
# (kept short: on a 375 px phone the answer's first lines must still fit on the first screen beneath it)


def render_results(response: SearchResponse, searcher: Searcher) -> None:
    """Readers first: the best passage in full, the others folded under "More passages". When nothing answers
    well, a plain 'not covered' message, with the nearest passages folded away under a weaker heading."""
    terms = query_terms(" ".join((response.searched_text or response.query, *response.expansions)))
    weak = response.no_good_match or not response.results
    if weak:
        st.header("Our NETs information does not seem to cover this", anchor=False)
        st.markdown(searched_for_html(response), unsafe_allow_html=True)
        st.markdown(
            note_html(
                "Try asking in different words, or ask your care team: they know your situation. "
                "The nearest passages we found may not answer your question."
            ),
            unsafe_allow_html=True,
        )
        shown, folded, label = [], list(response.results), "Nearest passages (weak matches)"
    else:
        st.header("Best answer from our information", anchor=False)
        st.markdown(searched_for_html(response), unsafe_allow_html=True)
        if response.tentative:
            st.markdown(note_html(TENTATIVE_NOTE), unsafe_allow_html=True)
        shown, folded = list(response.results[:1]), list(response.results[1:])
        label = f"More passages ({len(folded)})"
    for result in shown:
        render_card(result, terms, weak, searcher, response.tentative)
    if folded:
        with st.expander(label):
            for result in folded:
                render_card(result, terms, weak, searcher, response.tentative)


def render_card(result: Result, terms: frozenset[str], weak: bool, searcher: Searcher, tentative: bool) -> None:
    """One element per card (the rest of the section folds in HTML, not in a widget): quick to draw, and it can sit
    inside the "More passages" expander, where Streamlit allows no expander."""
    passage = result.passage
    section = tuple(searcher.neighbours(passage.passage_id))
    st.markdown(cached_card_html(result, terms, weak, searcher.page_info(passage.doc_id), section, tentative),
                unsafe_allow_html=True)


def render_feedback(config: PageConfig, response: SearchResponse) -> None:
    if config.feedback_db is None or not response.results:
        return
    replied = st.session_state.get(f"replied:{question_key(response.query)}")
    st.header("Did this answer your question?", anchor=False)
    if replied is not None:
        st.markdown(note_html("Thank you: your reply helps us improve our information."), unsafe_allow_html=True)
        if replied is False:
            st.markdown(next_step_html(load_page_settings(str(config.corpus_dir))), unsafe_allow_html=True)
        return
    ids = tuple(r.passage.passage_id for r in response.results)
    with st.container(horizontal=True, gap="small"):
        st.button("Yes", key="reply-yes", on_click=_reply, args=(config, response.query, ids, True))
        st.button("No", key="reply-no", on_click=_reply, args=(config, response.query, ids, False))
    show_small(FEEDBACK_NOTICE)


# --------------------------------------------------------------------------- style

# Contrast ratios (WCAG AA needs 4.5:1 for text): text #1b2a33 on white 14.7, teal #1f5f66 on white 7.3 (and
# white on teal buttons 7.3), muted #4a5a63 7.2, <mark> #1b2a33 on #fde68a 11.8; every label pair is above 6.6.
PAGE_CSS = """
[data-testid="stMainBlockContainer"] { padding-top: 4rem; padding-bottom: 3rem; }
[data-testid="stHeading"] h1 { font-size: 2.1rem; line-height: 1.2; padding-bottom: 0.5rem; }
[data-testid="stHeading"] h2 { font-size: 1.4rem; line-height: 1.3; padding-top: 1.25rem; }
[data-testid="stHeading"] h3 { font-size: 1.15rem; line-height: 1.3; }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding: 3rem 1rem 2rem 1rem; }
  [data-testid="stHeading"] h1 { font-size: 1.4rem; padding-bottom: 0.25rem; }
  [data-testid="stHeading"] h2 { font-size: 1.15rem; padding-top: 0.5rem; }
  .nets-safety { font-size: 0.85rem; padding: 0.5rem 0.75rem; line-height: 1.4; }
}
.nets-safety { background: #eef6f7; border-left: 4px solid #1f5f66; padding: 0.75rem 1rem; border-radius: 4px;
  color: #1b2a33; font-size: 0.95rem; line-height: 1.5; margin-bottom: 0.5rem; }
.nets-note, .nets-prompt { color: #1b2a33; line-height: 1.5; margin: 0.25rem 0 0.75rem 0; }
.nets-prompt { background: #fff8e6; border-left: 4px solid #8a5a00; padding: 0.5rem 0.75rem; border-radius: 4px; }
.nets-problem { background: #fdf1f0; border-left: 4px solid #a1322b; color: #1b2a33; padding: 0.5rem 0.75rem;
  border-radius: 4px; margin: 0.25rem 0 0.75rem 0; }
.nets-asked { color: #4a5a63; margin: 0 0 0.5rem 0; overflow-wrap: anywhere; }
@media (max-width: 640px) {
  [data-testid="stForm"] { margin-bottom: -0.5rem; }
  .nets-card { padding: 0.5rem 0.75rem; }
  .nets-card h3.nets-crumb { font-size: 1rem; margin-bottom: 0.25rem; }
}
.nets-card { border: 1px solid #d5dde1; border-radius: 0.5rem; padding: 0.75rem 1rem; margin-bottom: 0.75rem; }
.nets-section summary { color: #1f5f66; cursor: pointer; margin-top: 0.5rem; font-weight: 500; }
.nets-section[open] summary { margin-bottom: 0.5rem; }
.nets-card h3.nets-crumb { font-size: 1.05rem; font-weight: 600; color: #1b2a33; margin: 0.1rem 0 0.5rem 0;
  padding: 0; line-height: 1.35; }
.nets-strength { display: inline-block; font-size: 0.8rem; font-weight: 600; letter-spacing: 0.02em;
  padding: 0.1rem 0.55rem; border-radius: 999px; margin: 0; }
.nets-strong { background: #e3f1ec; color: #14532d; }
.nets-good { background: #e8f0f8; color: #1e3a5f; }
.nets-related { background: #eef0f2; color: #37474f; }
.nets-weak { background: #f6efe6; color: #6b3e00; }
.nets-passage, .nets-neighbour { line-height: 1.6; color: #1b2a33; overflow-wrap: anywhere; }
.nets-passage mark, .nets-neighbour mark { background: #fde68a; color: #1b2a33; padding: 0 0.1em; border-radius: 2px; }
.nets-passage strong.best-sentence { font-weight: 600; }
.nets-table-wrap { overflow-x: auto; max-width: 100%; margin: 0.25rem 0 0.5rem; }
.nets-table-wrap table { border-collapse: collapse; font-size: 0.95em; }
.nets-table-wrap th, .nets-table-wrap td { border: 1px solid #c9d3d8; padding: 0.3rem 0.5rem; text-align: left;
  vertical-align: top; overflow-wrap: normal; }
.nets-table-wrap th { background: #eef3f5; }
.nets-table-wrap tr.best-sentence td { font-weight: 600; }
.nets-neighbour { padding: 0.4rem 0 0.4rem 0.75rem; border-left: 3px solid #d5dde1; margin-bottom: 0.5rem; }
.nets-neighbour.nets-current { border-left-color: #1f5f66; }
.nets-source { margin: 0 0 0.5rem 0; color: #4a5a63; font-size: 0.9rem; line-height: 1.4; }
.nets-source cite { font-style: normal; font-weight: 600; }
.nets-source a { color: #1f5f66; }
.nets-here { color: #4a5a63; font-style: italic; margin: 0.25rem 0 0.5rem 0.75rem; }
.nets-next { background: #eef6f7; border-left: 4px solid #1f5f66; padding: 0.75rem 1rem; border-radius: 4px;
  color: #1b2a33; line-height: 1.5; margin: 0.5rem 0; }
.nets-next a { color: #1f5f66; }
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stForm"],
  [data-testid="stBottom"], .st-key-nets-feedback, .st-key-nets-options, .nets-section {
    display: none !important; }
  [data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: 100% !important; }
  details::details-content { content-visibility: visible; display: block; }
  details > summary { font-weight: 600; }
  .nets-card { break-inside: avoid; }
  .nets-passage mark { background: none; font-weight: 600; }
}
.nets-small, [data-testid="InputInstructions"] { color: #4a5a63; font-size: 0.85rem; margin: 0.25rem 0; }
.nets-facts { padding-left: 1rem; margin: 0; }
.nets-gap { margin: 0.5rem 0 0.25rem 0; overflow-wrap: anywhere; }
.nets-gap span { color: #4a5a63; }
"""
