"""The search page (Streamlit). `app.py` calls `main()`; everything the page shows is built here.

Flow of one run: read the settings (environment + command line) → editor panel (sidebar, editor mode only; a
rebuild happens here, before the search, so the search below already uses the new version) → question box →
search → result cards → "did this answer your question?".

The question lives in the URL (`?q=...`), so the URL is the state of a search: shareable, bookmarkable,
reloadable. Every piece of text from a reader or from the corpus goes through `highlight.escape_text` or
`highlight.highlight` before it reaches `st.markdown(..., unsafe_allow_html=True)`. The style is page.css.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from importlib import resources
from typing import Sequence

import streamlit as st

from nets_search.page import editor, editor_gate
from nets_search.page.announce import MOVED, announce_and_focus
from nets_search.page.reply import THANKS, render_feedback
from nets_search.page.cards import (cached_card_html, heading_html, note_html, searched_for_html,
                                    urgent_html)
from nets_search.errors import IndexMissingError, NetsSearchError, QueryError
from nets_search.evaluate.golden_file import question_key
from nets_search.page.highlight import query_terms
from nets_search.page.setup import (BUILD_COMMAND, PageConfig, get_searcher, load_config, serve_without_nagle_delay,
                                    settle_heap)
from nets_search.search.labels import CONFIDENT_LABELS
from nets_search.search.query import prepare_question
from nets_search.search.searcher import Searcher
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
    st.session_state[MOVED] = "results"


def _ask_example(question: str) -> None:
    st.session_state[QUESTION] = question
    st.session_state["empty_question"] = False
    st.query_params.pop("exact", None)
    st.query_params["q"] = question
    st.session_state[MOVED] = "results"


# --------------------------------------------------------------------------- rendering


def main(argv: Sequence[str] = ()) -> None:
    asked = load_config(argv, os.environ)
    config = dataclasses.replace(asked, editor=editor_gate.editor_unlocked(asked))
    st.set_page_config(
        page_title="NETs Search",
        layout="centered",
        initial_sidebar_state="expanded" if asked.editor else "collapsed",
    )
    serve_without_nagle_delay()
    st.html(f"<style>{page_css()}</style>")
    if config.editor:
        editor.render_editor_panel(config)
    elif asked.editor:
        editor_gate.render_editor_gate(asked)
    st.title("Search our NETs information", anchor=False)
    searching = bool((st.query_params.get("q") or "").strip())
    # With results to show, one line of the safety note stays on top (the answer must fit a phone's first screen)
    # and the whole note follows the results; before a search, the whole note is on top.
    st.markdown(note_html(SAFETY_SHORT if searching else SAFETY_NOTE, "nets-safety"), unsafe_allow_html=True)
    question = render_question_box()
    if not question:
        render_examples()
        return
    response = render_search(config, question)
    st.markdown(note_html(SAFETY_NOTE, "nets-safety"), unsafe_allow_html=True)
    if response is not None:
        render_focus_and_announcement(response)


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


def render_search(config: PageConfig, question: str) -> SearchResponse | None:
    """The results of `question`, the reply buttons and the options; returns the response (None: no search)."""
    count = st.session_state.get("result_count", DEFAULT_RESULT_COUNT)
    try:
        with st.spinner("Getting the search ready…"):
            searcher = get_searcher(config.index_dir)
        response = searcher.search(question, k=count, repair=st.query_params.get("exact") != "1")
    except NetsSearchError as exc:
        render_unavailable(config, exc)
        return None
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
    return response


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
NOT_COVERED_NOTE = ("Try asking in different words, or ask your care team: they know your situation. "
                    "The nearest passages we found may not answer your question.")
NOT_COVERED_URGENT_NOTE = "The nearest passages we found may not answer your question."
BEST_ANSWER = "Best answer from our information"
CLOSEST = "Closest passages in our information"
NOT_COVERED = "Our NETs information does not seem to cover this"


def results_heading(response: SearchResponse) -> str:
    """A heading that claims no more than the engine does: "Best answer" only over a first passage that is surely
    covered (not tentative, labelled strong or good); a neutral heading over a tentative one."""
    if response.no_good_match or not response.results:
        return NOT_COVERED
    if not response.tentative and response.results[0].label in CONFIDENT_LABELS:
        return BEST_ANSWER
    return CLOSEST


def render_results(response: SearchResponse, searcher: Searcher) -> None:
    """Readers first: an emergency box when the question describes one (covered by our pages or not), then the best
    passage in full, the others folded under "More passages". When nothing answers well, a plain 'not covered'
    message, with the nearest passages folded away under a weaker heading."""
    terms = query_terms(" ".join((response.searched_text or response.query, *response.expansions)))
    if response.urgency.urgent:
        st.markdown(urgent_html(response.urgency), unsafe_allow_html=True, anchors=False)
    weak = response.no_good_match or not response.results
    st.markdown(heading_html(results_heading(response), "nets-results-heading"), unsafe_allow_html=True,
                anchors=False)
    st.markdown(searched_for_html(response), unsafe_allow_html=True)
    if weak:
        # An urgent question is never sent away to rephrase: the box above says what to do.
        note = NOT_COVERED_URGENT_NOTE if response.urgency.urgent else NOT_COVERED_NOTE
        st.markdown(note_html(note), unsafe_allow_html=True)
        shown, folded, label = [], list(response.results), "Nearest passages (weak matches)"
    else:
        if response.tentative:
            st.markdown(note_html(TENTATIVE_NOTE), unsafe_allow_html=True)
        shown, folded = list(response.results[:1]), list(response.results[1:])
        label = f"More passages ({len(folded)})"
    for result in shown:
        render_card(result, terms, searcher)
    if folded:
        with st.expander(label):
            for result in folded:
                render_card(result, terms, searcher)


def render_card(result: Result, terms: frozenset[str], searcher: Searcher) -> None:
    """One element per card (the rest of the section folds in HTML, not in a widget): quick to draw, and it can sit
    inside the "More passages" expander, where Streamlit allows no expander. No heading anchors: each would be an
    unlabelled "Link to heading" tab stop."""
    passage = result.passage
    section = tuple(searcher.neighbours(passage.passage_id))
    st.markdown(cached_card_html(result, terms, searcher.page_info(passage.doc_id), section),
                unsafe_allow_html=True, anchors=False)


# --------------------------------------------------------------------------- focus and announcements


def announcement(response: SearchResponse) -> str:
    """What the polite live region says after a search: how many passages, or that nothing answers well. (An
    emergency box is an alert of its own and is read out without this.)"""
    count = len(response.results)
    if not count:
        return "No passages found. Our NETs information does not seem to cover this."
    passages = "1 passage" if count == 1 else f"{count} passages"
    if response.no_good_match:
        return f"No good match: our NETs information does not seem to cover this. {passages} nearest, folded below."
    if results_heading(response) == CLOSEST:
        return f"{passages} found. The closest may not answer exactly."
    return f"{passages} found. The best answer is first."


def render_focus_and_announcement(response: SearchResponse) -> None:
    """After a search, an example or a reply: the announcement (or the thanks, after a reply) and where focus
    goes (announce.py)."""
    moved = st.session_state.pop(MOVED, None)
    said = THANKS if moved == "feedback" else announcement(response)
    announce_and_focus(question_key(response.query), said, moved)


# --------------------------------------------------------------------------- style


@functools.lru_cache(maxsize=1)
def page_css() -> str:
    """The page's style sheet (page.css, shipped as package data beside this module), read once per process."""
    return resources.files("nets_search.page").joinpath("page.css").read_text(encoding="utf-8")
