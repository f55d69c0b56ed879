"""The editor panel (sidebar, editor mode only): the token gate, what is indexed, Rebuild (a rebuild reruns the
page, so the panel and the search below it already show the new version), golden questions to finish, and the
questions readers said were not answered."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from nets_search.index import store
from nets_search.page.cards import note_html
from nets_search.corpus.pages import count_pages
from nets_search.errors import NetsSearchError
from nets_search.evaluate.golden_file import add_golden_question, complete_golden_question, unfinished_golden_questions
from nets_search.page.feedback import FeedbackStore
from nets_search.page.highlight import escape_text
from nets_search.page.setup import PageConfig, client_source, get_searcher, load_encoder, show_small
from nets_search.page.process_state import Limit
from nets_search.text import sentence_spans
from nets_search.types import Result

MAX_TOKEN_TRIES = 5  # wrong tries per source address, and per browser session, in a pause's time
# The right token opens the panel even during a pause (so an attacker's guesses never lock an editor out); what
# stops guessing is then the token's length: shorter tokens leave the panel off.
MIN_TOKEN_LENGTH = 16
TOKEN_PAUSE_SECONDS = 60
# Kept for the process, out of reach of Streamlit's "clear cache", which any browser session can send.
WRONG_TRIES = Limit(MAX_TOKEN_TRIES, TOKEN_PAUSE_SECONDS)


@dataclass
class _Rebuilds:
    """Process-wide: when the last rebuild started, and the lock that lets one run at a time."""

    last: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


REBUILDS = _Rebuilds()


def editor_proof(token: str) -> str:
    """What a browser session holds once it has entered the token: a keyed hash, never the token itself."""
    return hmac.new(token.encode("utf-8"), b"nets-search editor", hashlib.sha256).hexdigest()


def editor_unlocked(config: PageConfig) -> bool:
    """True only in editor mode, with a token configured on the server, for a session that entered it."""
    if not (config.editor and _usable_token(config)):
        return False
    proof = st.session_state.get("editor_proof")
    return isinstance(proof, str) and hmac.compare_digest(proof, editor_proof(config.editor_token))


def _try_token(config: PageConfig) -> None:
    """The right token always opens the panel, whatever anyone else tried. A wrong one counts against the source
    address and the browser session it came from; past MAX_TOKEN_TRIES, either's wrong tries are refused until
    the pause is over (so an attacker pauses only themself, and cannot lock real editors out)."""
    entered = st.session_state.pop("editor_token_input", "") or ""
    if _usable_token(config) and hmac.compare_digest(entered.encode("utf-8"), config.editor_token.encode("utf-8")):
        st.session_state["editor_proof"] = editor_proof(config.editor_token)
        st.session_state.pop("editor_message", None)
        return
    counted = WRONG_TRIES.count(("source", client_source(config.trusted_proxies)), ("session", _session_id()))
    st.session_state["editor_message"] = (
        "That is not the editor token." if counted else "Too many wrong tries: wait a minute, then try again."
    )


def _usable_token(config: PageConfig) -> bool:
    return len(config.editor_token) >= MIN_TOKEN_LENGTH


def _session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else ""


def render_editor_gate(config: PageConfig) -> None:
    """In editor mode without the token: say why there is no panel, or ask for the token."""
    with st.sidebar:
        st.header("Editor panel", anchor=False)
        if not config.editor_token:
            st.markdown(note_html("Editor mode is on, but no editor token is set on the server "
                                  "(NETS_SEARCH_EDITOR_TOKEN), so the editor panel stays off.", "nets-problem",
                                  "alert"), unsafe_allow_html=True)
            return
        if not _usable_token(config):
            st.markdown(note_html(f"The editor token set on the server is shorter than {MIN_TOKEN_LENGTH} characters, "
                                  "so the editor panel stays off: a short token could be guessed. Set a longer "
                                  "NETS_SEARCH_EDITOR_TOKEN.", "nets-problem", "alert"), unsafe_allow_html=True)
            return
        st.text_input("Editor token", type="password", key="editor_token_input")
        st.button("Unlock the editor panel", key="editor-unlock", on_click=_try_token, args=(config,))
        message = st.session_state.get("editor_message")
        if message:
            st.markdown(note_html(message, "nets-problem", "alert"), unsafe_allow_html=True)


@st.cache_data(ttl=15, show_spinner=False)
def pending_changes_cached(corpus_dir: str, index_dir: str, version: str | None) -> tuple[tuple[str, ...], ...]:
    from nets_search.build.changes import pending_changes

    return pending_changes(Path(corpus_dir), Path(index_dir))


def render_editor_panel(config: PageConfig) -> None:
    with st.sidebar:
        st.header("Editor panel", anchor=False)
        render_index_status(config)
        render_rebuild(config)
        render_unfinished_golden(config)
        render_gaps(config)


def render_index_status(config: PageConfig) -> None:
    st.subheader("What is indexed", anchor=False)
    try:
        manifest = store.current_manifest(config.index_dir)
    except NetsSearchError as exc:
        st.markdown(note_html(f"No usable index: {exc}", "nets-problem", "alert"), unsafe_allow_html=True)
        return
    rows = [
        ("Pages", f"{count_pages(manifest.files):,}"),
        ("Passages", f"{manifest.passages:,}"),
        ("Model", f"{manifest.model} ({manifest.backend})"),
        ("Built", manifest.built_at.replace("T", " ").replace("Z", " UTC")),
        ("Version", manifest.version),
    ]
    items = "".join(f"<li><strong>{escape_text(k)}:</strong> {escape_text(v)}</li>" for k, v in rows)
    st.markdown(f'<ul class="nets-facts">{items}</ul>', unsafe_allow_html=True)
    try:
        added, changed, removed = pending_changes_cached(
            str(config.corpus_dir), str(config.index_dir), manifest.version
        )
    except NetsSearchError as exc:
        st.markdown(note_html(f"The corpus cannot be read: {exc}", "nets-problem", "alert"), unsafe_allow_html=True)
        return
    if added or changed or removed:
        names = ", ".join((*added, *changed, *removed)[:8])
        text = (
            f"The corpus has changed since the last build: {len(added)} added, {len(changed)} changed, "
            f"{len(removed)} removed ({names}). Rebuild to search the new content."
        )
        st.markdown(note_html(text, "nets-problem", "status"), unsafe_allow_html=True)
    else:
        show_small("The index is up to date with the corpus.")


def render_rebuild(config: PageConfig) -> None:
    """The Rebuild button. A finished build reruns the page, so the panel above shows the new version and counts
    at once; the build's report is kept for that run and shown under the button."""
    done = st.session_state.pop("build_outcome", None)
    missing = store.current_version(config.index_dir) is None
    label = "Build the index" if missing else "Rebuild index"
    clicked = st.button(label, type="primary", key="rebuild")
    if done:
        ok, text = done
        if ok:
            st.markdown(note_html("Done: the new index is in use.", "nets-note", "status"), unsafe_allow_html=True)
            st.code(text, language=None, wrap_lines=True)
        else:
            st.markdown(note_html(text, "nets-problem", "alert"), unsafe_allow_html=True)
    if not clicked or not editor_unlocked(config):
        return
    wait = REBUILDS.last + config.rebuild_interval - time.monotonic()
    if wait > 0 or not REBUILDS.lock.acquire(blocking=False):
        text = f"A rebuild ran moments ago: try again in {max(wait, 1):.0f} s." if wait > 0 else "A rebuild is running."
        st.markdown(note_html(text, "nets-problem", "status"), unsafe_allow_html=True)
        return
    try:
        REBUILDS.last = time.monotonic()
        st.session_state["build_outcome"] = _rebuild(config)
    finally:
        REBUILDS.lock.release()
    pending_changes_cached.clear()
    st.rerun()


def _rebuild(config: PageConfig) -> tuple[bool, str]:
    """(succeeded, the build report or the reason it failed), with a progress bar while it runs."""
    from nets_search.build.build import BuildSettings
    from nets_search.build.rebuild import rebuild_and_check

    settings = BuildSettings()
    bar = st.progress(0.0, text="Reading the corpus…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0, text=f"Embedding passages: {done} of {total}")

    try:
        encoder = load_encoder(settings.backend, str(Path(config.index_dir) / "cache"))
        return True, rebuild_and_check(config.corpus_dir, config.index_dir, settings, encoder, progress).summary()
    except NetsSearchError as exc:
        return False, f"The build failed: {exc}"
    finally:
        bar.empty()


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
        show_small("Build the index first: the passages to choose from come from it.")
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


MAX_UNFINISHED_SHOWN = 5


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


def render_gaps(config: PageConfig) -> None:
    st.subheader("Questions readers said were not answered", anchor=False)
    if config.feedback_db is None:
        show_small("Feedback is switched off (NETS_SEARCH_FEEDBACK=0).")
        return
    message = st.session_state.pop("golden_message", None)
    if message:
        css, role = ("nets-note", "status") if message[0] == "ok" else ("nets-problem", "alert")
        st.markdown(note_html(message[1], css, role), unsafe_allow_html=True)
    gaps = FeedbackStore(config.feedback_db).unanswered()
    if not gaps:
        show_small("None yet.")
        return
    for number, gap in enumerate(gaps):
        times = "once" if gap.count == 1 else f"{gap.count} times"
        st.markdown(
            f'<p class="nets-gap">“{escape_text(gap.question)}” <span>({times})</span></p>', unsafe_allow_html=True
        )
        st.button(
            "Add to golden questions",
            key=f"golden-{number}",
            on_click=_add_golden,
            args=(config.golden_path, gap.question),
        )


def _add_golden(path: Path, question: str) -> None:
    _write_golden(path, lambda: add_golden_question(path, question),
                  f"Added to {path.name}: fill in the phrases the answer must contain.", f"Already in {path.name}.")
