"""Readers' questions in the editor panel: those readers said were not answered (grouped, newest first, with the
passage the last reader was shown), each either made a golden question or marked handled with a reason, which
takes it off the open list (page/feedback.py keeps that in its SQLite); and golden questions waiting to be finished,
where the editor picks the passage that answers."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from nets_search.errors import NetsSearchError
from nets_search.evaluate.golden_file import add_golden_question, complete_golden_question, unfinished_golden_questions
from nets_search.page.cards import note_html
from nets_search.page.editor_versions import when
from nets_search.page.feedback import HANDLED_REASONS, FeedbackStore, Gap
from nets_search.page.highlight import escape_text
from nets_search.page.setup import PageConfig, get_searcher, show_small
from nets_search.text import sentence_spans
from nets_search.types import Result

MAX_UNFINISHED_SHOWN = 5
SHOWN_CHARS = 160
HANDLED_LABELS = {"page added": "A page now answers it", "synonym added": "A synonym now answers it",
                  "not our topic": "Not our topic"}


def render_gaps(config: PageConfig) -> None:
    st.subheader("Questions readers said were not answered", anchor=False)
    if config.feedback_db is None:
        show_small("Feedback is switched off (NETS_SEARCH_FEEDBACK=0).")
        return
    _show_message("golden_message")
    gaps = FeedbackStore(config.feedback_db).unanswered()
    if not gaps:
        show_small("None waiting.")
        return
    for number, gap in enumerate(gaps):
        times = "once" if gap.count == 1 else f"{gap.count} times"
        st.markdown(f'<p class="nets-gap">“{escape_text(gap.question)}” <span>(asked {times}, last '
                    f"{escape_text(when(gap.last_asked))})</span></p>", unsafe_allow_html=True)
        shown = shown_passage(config, gap)
        if shown:
            show_small(f"They were shown: {shown}")
        st.button("Add to golden questions", key=f"golden-{number}", on_click=_add_golden,
                  args=(config.golden_path, gap.question))
        with st.form(f"handled-{number}", border=False):
            reason = st.radio("Why it is handled", HANDLED_REASONS, key=f"reason-{number}",
                              format_func=HANDLED_LABELS.get, horizontal=False)
            st.form_submit_button("Mark as handled", on_click=_mark_handled, args=(config.feedback_db, gap, number))
        del reason


def shown_passage(config: PageConfig, gap: Gap) -> str:
    """The first passage the last reader was shown, as "Page › Section: its start…"; "" if it is gone."""
    if not gap.passage_ids:
        return ""
    try:
        found = [p for p in get_searcher(config.index_dir).neighbours(gap.passage_ids[0])
                 if p.passage_id == gap.passage_ids[0]]
    except NetsSearchError:
        return ""
    if not found:
        return ""
    text = " ".join(found[0].text.split())
    return f"{found[0].breadcrumb}: {text[:SHOWN_CHARS]}{'…' if len(text) > SHOWN_CHARS else ''}"


def _mark_handled(db: Path, gap: Gap, number: int) -> None:
    if not st.session_state.get("editor_proof"):
        return
    reason = st.session_state.get(f"reason-{number}") or HANDLED_REASONS[0]
    if FeedbackStore(db).mark_handled([gap.key], reason):
        st.session_state["golden_message"] = ("ok", f"“{gap.question}” is handled ({HANDLED_LABELS[reason].lower()}).")
    else:
        st.session_state["golden_message"] = ("error", "Could not save that: the feedback file cannot be written.")


def _show_message(key: str) -> None:
    message = st.session_state.pop(key, None)
    if message:
        css, role = ("nets-note", "status") if message[0] == "ok" else ("nets-problem", "alert")
        st.markdown(note_html(message[1], css, role), unsafe_allow_html=True)


def render_unfinished_golden(config: PageConfig) -> None:
    """Golden questions added from readers' replies, finished here: the editor picks the passage that answers
    (its best sentence becomes the phrase the answer must contain) or says our pages do not cover it."""
    try:
        waiting = unfinished_golden_questions(config.golden_path)
    except NetsSearchError as exc:
        st.markdown(note_html(f"Golden questions not shown: {exc}", "nets-problem", "alert"), unsafe_allow_html=True)
        return
    if not waiting:
        return
    st.subheader("Golden questions to finish", anchor=False)
    try:
        searcher = get_searcher(config.index_dir)
    except NetsSearchError:
        show_small("Publish first: the passages to choose from come from what is published.")
        return
    for number, (question_id, question) in enumerate(waiting[:MAX_UNFINISHED_SHOWN]):
        st.markdown(f'<p class="nets-gap">“{escape_text(question)}”</p>', unsafe_allow_html=True)
        try:
            results = searcher.search(question, k=3).results
        except NetsSearchError as exc:  # e.g. an empty question: nothing to pick from, nothing to mark
            st.markdown(note_html(f"This question cannot be searched ({exc}); correct or remove its line "
                                  f"(id '{_short(question_id)}') in {config.golden_path.name}.", "nets-problem",
                                  "alert"),
                        unsafe_allow_html=True)
            continue
        for rank, result in enumerate(results, 1):
            phrase = answer_sentence(result)
            st.markdown(f'<p class="nets-small"><strong>{escape_text(result.passage.breadcrumb)}</strong>: '
                        f"{escape_text(phrase)}</p>", unsafe_allow_html=True)
            st.button(f"This answers it ({rank})", key=f"finish-{number}-{rank}", on_click=_finish_golden,
                      args=(config.golden_path, question_id, phrase))
        st.button("Our pages do not cover it", key=f"finish-{number}-none", on_click=_finish_golden,
                  args=(config.golden_path, question_id, None))


def answer_sentence(result: Result) -> str:
    """The sentence of a result that answers: its best sentence, else its first."""
    text = result.passage.text
    start, end = result.best_sentence or (sentence_spans(text) or [(0, len(text))])[0]
    return text[start:end].strip()


def _short(text: str, most: int = 40) -> str:
    """A value read from a file, as one short line: a message names it without quoting the file at length."""
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return line if len(line) <= most else line[: most - 1] + "…"


def _finish_golden(path: Path, question_id: str, phrase: str | None) -> None:
    _write_golden(path, lambda: complete_golden_question(path, question_id, phrase),
                  f"Saved in {path.name}.", f"Already finished in {path.name}.")


def _add_golden(path: Path, question: str) -> None:
    _write_golden(path, lambda: add_golden_question(path, question),
                  f"Added to {path.name}: fill in the phrases the answer must contain.", f"Already in {path.name}.")


def _write_golden(path: Path, write, done: str, not_done: str) -> None:
    """Run one write to the golden file for an unlocked panel (the buttons are only drawn for one; belt and
    braces) and leave the outcome for the panel to show."""
    if not st.session_state.get("editor_proof"):
        return
    try:
        message = ("ok", done if write() else not_done)
    except OSError as exc:
        message = ("error", f"Could not write {path.name}: {exc.strerror or exc}")
    except NetsSearchError as exc:
        message = ("error", f"Could not write {path.name}: {exc}")
    st.session_state["golden_message"] = message
