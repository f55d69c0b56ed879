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
import hashlib
import hmac
import logging
import os
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping, Sequence

import streamlit as st
import yaml

from . import store
from .encode import base_backend
from .errors import IndexMissingError, NetsSearchError, QueryError
from .feedback import (FeedbackStore, add_golden_question, complete_golden_question, question_key,
                       unfinished_golden_questions)
from .highlight import escape_attribute, escape_text, highlight, query_terms
from .search import Searcher, prepare_question
from .text import sentence_spans
from .types import PageInfo, Passage, Result, SearchResponse

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
BUILD_COMMAND = "nets-search build"

SAFETY_NOTE = (
    "This search finds passages in our information about neuroendocrine tumours (NETs). It is not medical "
    "advice and cannot tell you what is happening in your own body. For questions about your health, contact "
    "your care team. In an emergency, call 999."
)

SAFETY_SHORT = "Not medical advice: for your own health, ask your care team. In an emergency, call 999."


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class PageConfig:
    index_dir: Path
    corpus_dir: Path
    feedback_db: Path | None  # None: feedback switched off
    golden_path: Path
    editor: bool  # editor mode asked for; the panel still needs the editor token (see `editor_unlocked`)
    editor_token: str = ""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def load_config(argv: Sequence[str], environ: Mapping[str, str]) -> PageConfig:
    """Settings from environment variables, plus `--editor` after `--` on the `streamlit run` line."""
    corpus = Path(environ.get("NETS_SEARCH_CORPUS") or "corpus")
    feedback_on = environ.get("NETS_SEARCH_FEEDBACK", "1").strip().lower() not in {"0", "false", "no", "off"}
    return PageConfig(
        index_dir=Path(environ.get("NETS_SEARCH_INDEX") or "index"),
        corpus_dir=corpus,
        feedback_db=Path(environ.get("NETS_SEARCH_FEEDBACK_DB") or "feedback.sqlite") if feedback_on else None,
        golden_path=Path(environ.get("NETS_SEARCH_GOLDEN") or corpus / "golden-questions.jsonl"),
        editor=_flag(environ.get("NETS_SEARCH_EDITOR")) or "--editor" in argv,
        editor_token=environ.get("NETS_SEARCH_EDITOR_TOKEN", ""),
    )


# --------------------------------------------------------------------------- the editors' page settings

PAGE_SETTINGS_FILE = "page.yaml"  # in the corpus folder, beside the glossary
DEFAULT_NEXT_STEP = (
    "Please ask your care team (your specialist nurse or doctor): they know your situation. If you feel unwell "
    "and it is not an emergency, call NHS 111. In an emergency, call 999."
)


@dataclass(frozen=True)
class PageSettings:
    """What editors set for the page in `corpus/page.yaml`: the next step offered to a reader whose question was
    not answered (`next_step`: a sentence, e.g. a helpline and its hours; `next_step_link`: a web address)."""

    next_step: str = DEFAULT_NEXT_STEP
    next_step_link: str = ""


@st.cache_data(ttl=15, show_spinner=False)
def load_page_settings(corpus_dir: str) -> PageSettings:
    """The settings file if there is one and it reads; otherwise the defaults (a reader's page never fails over
    it: a problem is logged for the editors)."""
    path = Path(corpus_dir) / PAGE_SETTINGS_FILE
    if not path.is_file():
        return PageSettings()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError("write 'next_step: ...' and 'next_step_link: ...' lines")
        return PageSettings(str(data.get("next_step") or DEFAULT_NEXT_STEP).strip(),
                            str(data.get("next_step_link") or "").strip())
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        log.warning("%s: not used (%s)", path, str(exc).splitlines()[0])
        return PageSettings()


def next_step_html(settings: PageSettings) -> str:
    link = safe_link(settings.next_step_link)
    more = (f' <a href="{escape_attribute(link)}" target="_blank" rel="noopener noreferrer">Where to get help</a>'
            if link else "")
    return (f'<div class="nets-next" role="note"><strong>Sorry this did not answer your question.</strong> '
            f"{escape_text(settings.next_step)}{more}</div>")


# --------------------------------------------------------------------------- the editor token

MAX_TOKEN_TRIES = 5  # wrong tries (in this page process) before a pause
TOKEN_PAUSE_SECONDS = 60
MIN_REBUILD_INTERVAL = 60.0  # seconds between two rebuilds started from the page (NETS_SEARCH_REBUILD_INTERVAL)


def rebuild_interval() -> float:
    try:
        return max(0.0, float(os.environ.get("NETS_SEARCH_REBUILD_INTERVAL", MIN_REBUILD_INTERVAL)))
    except ValueError:
        return MIN_REBUILD_INTERVAL


@dataclass
class _Guard:
    """Process-wide: wrong token tries (a new browser session does not reset them) and the last rebuild."""

    failures: int = 0
    paused_until: float = 0.0
    last_rebuild: float = float("-inf")
    rebuild_lock: threading.Lock = field(default_factory=threading.Lock)


@st.cache_resource(show_spinner=False)
def _guard() -> _Guard:
    return _Guard()


def editor_proof(token: str) -> str:
    """What a browser session holds once it has entered the token: a keyed hash, never the token itself."""
    return hmac.new(token.encode("utf-8"), b"nets-search editor", hashlib.sha256).hexdigest()


def editor_unlocked(config: PageConfig) -> bool:
    """True only in editor mode, with a token configured on the server, for a session that entered it."""
    if not (config.editor and config.editor_token):
        return False
    proof = st.session_state.get("editor_proof")
    return isinstance(proof, str) and hmac.compare_digest(proof, editor_proof(config.editor_token))


def _try_token(config: PageConfig) -> None:
    guard = _guard()
    entered = st.session_state.pop("editor_token_input", "") or ""
    if time.monotonic() < guard.paused_until:
        st.session_state["editor_message"] = "Too many wrong tries: wait a minute, then try again."
        return
    if config.editor_token and hmac.compare_digest(entered.encode("utf-8"), config.editor_token.encode("utf-8")):
        guard.failures = 0
        st.session_state["editor_proof"] = editor_proof(config.editor_token)
        st.session_state.pop("editor_message", None)
        return
    guard.failures += 1
    if guard.failures >= MAX_TOKEN_TRIES:
        guard.failures = 0
        guard.paused_until = time.monotonic() + TOKEN_PAUSE_SECONDS
    st.session_state["editor_message"] = "That is not the editor token."


def render_editor_gate(config: PageConfig) -> None:
    """In editor mode without the token: say why there is no panel, or ask for the token."""
    with st.sidebar:
        st.header("Editor panel", anchor=False)
        if not config.editor_token:
            st.markdown(note_html("Editor mode is on, but no editor token is set on the server "
                                  "(NETS_SEARCH_EDITOR_TOKEN), so the editor panel stays off.", "nets-problem",
                                  "alert"), unsafe_allow_html=True)
            return
        st.text_input("Editor token", type="password", key="editor_token_input")
        st.button("Unlock the editor panel", key="editor-unlock", on_click=_try_token, args=(config,))
        message = st.session_state.get("editor_message")
        if message:
            st.markdown(note_html(message, "nets-problem", "alert"), unsafe_allow_html=True)


# --------------------------------------------------------------------------- strength labels


@dataclass(frozen=True)
class Strength:
    label: str
    css: str  # class suffix: strong, good, related, weak


def strength_of(result: Result, no_good_match: bool) -> Strength:
    """A plain-words label from how the two retrievers agree, not from the raw score.

    The fused score is a weighted sum of cosine and scaled BM25: it says nothing absolute and is meaningless to a reader. What
    is meaningful is agreement: a passage that both the meaning search and the word search put at the very top
    is a strong match; one both found in their top ten is a good match; anything else is only related. When
    the engine says no passage answers well, every passage is labelled a weak match, whatever its rank.
    """
    if no_good_match:
        return Strength("Weak match", "weak")
    dense, lexical = result.dense_rank, result.lexical_rank
    if dense is not None and lexical is not None:
        if dense <= 2 and lexical <= 2:
            return Strength("Strong match", "strong")
        if dense <= 10 and lexical <= 10:
            return Strength("Good match", "good")
    return Strength("Related", "related")


# --------------------------------------------------------------------------- loading (cached per process)


@st.cache_resource(show_spinner=False)
def load_encoder(backend: str, cache_dir: str):
    """The model, loaded once per process and backend (a few seconds). Shared by every searcher and rebuild,
    so a new index version is picked up without loading the model again. `cache_dir` is where the engine
    keeps its ONNX export (index/cache), as the CLI does."""
    from .encode import Encoder

    return Encoder(backend, cache_dir=Path(cache_dir))


class _SearcherSlot:
    """Holds the searcher of one index folder; replaced when a newer index version appears on disk."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.searcher: Searcher | None = None


@st.cache_resource(show_spinner=False)
def searcher_slot(index_dir: str) -> _SearcherSlot:
    return _SearcherSlot()


def get_searcher(index_dir: Path) -> Searcher:
    """The cached searcher, reloaded (model kept) when `is_stale()` says a rebuild switched in a new version."""
    slot = searcher_slot(str(Path(index_dir).resolve()))
    with slot.lock:
        if slot.searcher is None or slot.searcher.is_stale():
            manifest = store.current_manifest(index_dir)  # fails fast, before the model loads, if there is no index
            encoder = load_encoder(base_backend(manifest.backend), str(Path(index_dir) / "cache"))
            slot.searcher = Searcher(index_dir, encoder=encoder)
        return slot.searcher


def clear_caches(keep_model: bool = True) -> None:
    """Forget cached searchers (and the model too unless `keep_model`): for tests and after errors."""
    searcher_slot.clear()
    pending_changes_cached.clear()
    if not keep_model:
        load_encoder.clear()


@st.cache_data(ttl=15, show_spinner=False)
def pending_changes_cached(corpus_dir: str, index_dir: str, version: str | None) -> tuple[tuple[str, ...], ...]:
    from .build import pending_changes

    return pending_changes(Path(corpus_dir), Path(index_dir))


# --------------------------------------------------------------------------- HTML pieces (pure)


def safe_link(url: str) -> str | None:
    """The source URL if it is an ordinary web link; anything else (javascript:, data:, relative) is dropped."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) and " " not in url else None


def card_html(result: Result, terms: frozenset[str], no_good_match: bool, page: PageInfo | None = None,
              section: Sequence[Passage] = ()) -> str:
    """One result card: strength label, page › section heading, where it comes from (title, publisher, review
    date, link), then the highlighted passage. The source line comes before the text so that, on a phone, the
    first answer and where it comes from are on the first screen together."""
    p = result.passage
    strength = strength_of(result, no_good_match)
    # The best sentence is emphasised only in a strong match: in a weaker passage the "best" sentence is merely
    # the least bad one, and bold type would present it as an answer.
    best = result.best_sentence if strength.css == "strong" else None
    return "".join([
        f'<div class="nets-card"><p class="nets-strength nets-{strength.css}">{strength.label}</p>',
        f'<h3 class="nets-crumb">{escape_text(p.breadcrumb)}</h3>',
        source_html(page or PageInfo(title=p.title, source=p.source)),
        f'<div class="nets-passage">{with_tables(highlight(p.text, terms, best))}</div>',
        (f'<details class="nets-section"><summary>Read the rest of this section</summary>'
         f"{section_html(list(section), p.passage_id, terms)}</details>" if len(section) > 1 else ""),
        "</div>",
    ])


def source_html(page: PageInfo) -> str:
    """'From <title> · <publisher> · reviewed <month year> · Read the full page' (the parts that are known)."""
    parts = [f"From <cite>{escape_text(page.title)}</cite>"]
    if page.publisher:
        parts.append(escape_text(page.publisher))
    if page.reviewed:
        parts.append(f"reviewed {escape_text(reviewed_words(page.reviewed))}")
    link = safe_link(page.source)
    if link:
        parts.append(f'<a href="{escape_attribute(link)}" target="_blank" rel="noopener noreferrer">'
                     "Read the full page</a>")
    return f'<p class="nets-source">{" · ".join(parts)}</p>'


def reviewed_words(value: str) -> str:
    """'2018-09' → 'September 2018'; anything else as the editor wrote it."""
    try:
        return datetime.strptime(value.strip()[:7], "%Y-%m").strftime("%B %Y")
    except ValueError:
        return value.strip()


TABLE_CELL_SEPARATOR = escape_text(" | ")  # a table row's cells as the splitter writes them, once escaped
LINE_BREAK = escape_text("\n")
_BEST_OPEN, _BEST_CLOSE = '<strong class="best-sentence">', "</strong>"


def with_tables(passage_html: str) -> str:
    """Highlighted passage HTML with its table rows (lines of ' | '-separated cells) drawn as a real table: the
    first row of a run as the header, the rest as data rows, in a wrapper that scrolls sideways on a phone.

    The input is already escaped text with <mark> and the best-sentence <strong>: cells are split on the
    separator, which escaped text cannot fake, and a row that is the best sentence keeps its emphasis on the row."""
    out: list[str] = []
    rows: list[str] = []
    for line in passage_html.split(LINE_BREAK):
        if TABLE_CELL_SEPARATOR in line:
            rows.append(line)
            continue
        if rows:
            out.append(_table(rows))
            rows = []
        out.append(line)
    if rows:
        out.append(_table(rows))
    return LINE_BREAK.join(out).replace(f"</table></div>{LINE_BREAK}", "</table></div>")  # a table is a block already


def _table(rows: list[str]) -> str:
    if len(rows) < 2:
        return rows[0]
    html = []
    for number, row in enumerate(rows):
        best = row.startswith(_BEST_OPEN) and row.endswith(_BEST_CLOSE)
        if best:
            row = row[len(_BEST_OPEN) : -len(_BEST_CLOSE)]
        tag = "th" if number == 0 else "td"
        cells = "".join(f"<{tag}>{cell}</{tag}>" for cell in row.split(TABLE_CELL_SEPARATOR))
        html.append(f'<tr class="best-sentence">{cells}</tr>' if best else f"<tr>{cells}</tr>")
    return f'<div class="nets-table-wrap"><table>{"".join(html)}</table></div>'


def section_html(neighbours: list[Passage], current_id: str, terms: frozenset[str]) -> str:
    """The rest of a result's section, in reading order, without the passage already shown in the card: a
    marker stands where it sits, so the reader sees what comes before and after it."""
    blocks = []
    for p in neighbours:
        if p.passage_id == current_id:
            blocks.append('<p class="nets-here">(the passage shown above)</p>')
        else:
            blocks.append(f'<div class="nets-neighbour">{with_tables(highlight(p.text, terms))}</div>')
    return "".join(blocks)


def note_html(text: str, css: str = "nets-note", role: str = "note") -> str:
    return f'<div class="{css}" role="{role}">{escape_text(text)}</div>'


def show_small(text: str) -> None:
    """A quiet line of help text (st.caption's grey is too pale for WCAG AA)."""
    st.markdown(f'<p class="nets-small">{escape_text(text)}</p>', unsafe_allow_html=True)


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
REPLIES_PER_MINUTE = 5  # per browser session: more is a script, not a reader


def _reply(db: Path, question: str, passage_ids: tuple[str, ...], answered: bool) -> None:
    now = time.monotonic()
    recent = [t for t in st.session_state.get("reply_times", []) if now - t < 60]
    if len(recent) < REPLIES_PER_MINUTE:
        FeedbackStore(db).record(question, passage_ids, answered)  # best effort: never raises
        recent.append(now)
    st.session_state["reply_times"] = recent
    st.session_state[f"replied:{question_key(question)}"] = answered


def _add_golden(path: Path, question: str) -> None:
    if not st.session_state.get("editor_proof"):  # the button is only drawn for an unlocked panel; belt and braces
        return
    try:
        added = add_golden_question(path, question)
    except OSError as exc:
        st.session_state["golden_message"] = ("error", f"Could not write {path}: {exc}")
        return
    message = f"Added to {path.name}: fill in the phrases the answer must contain." if added else (
        f"Already in {path.name}."
    )
    st.session_state["golden_message"] = ("ok", message)


# --------------------------------------------------------------------------- rendering


def main(argv: Sequence[str] = ()) -> None:
    asked = load_config(argv, os.environ)
    config = dataclasses.replace(asked, editor=editor_unlocked(asked))
    st.set_page_config(
        page_title="NETs Search",
        layout="centered",
        initial_sidebar_state="expanded" if asked.editor else "collapsed",
    )
    st.html(f"<style>{PAGE_CSS}</style>")
    if config.editor:
        render_editor_panel(config)
    elif asked.editor:
        render_editor_gate(asked)
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
        shown, folded = list(response.results[:1]), list(response.results[1:])
        label = f"More passages ({len(folded)})"
    for result in shown:
        render_card(result, terms, weak, searcher)
    if folded:
        with st.expander(label):
            for result in folded:
                render_card(result, terms, weak, searcher)


def searched_for_html(response: SearchResponse) -> str:
    """What was asked and what was searched: a repaired typo is shown with a way back to the reader's own words,
    and a key word our pages never mention is named, so the reader knows why nothing matches well."""
    parts = [f'<p class="nets-asked">You asked: “{escape_text(response.query)}”</p>']
    if response.corrections:
        own = escape_attribute(urllib.parse.urlencode({"q": response.query, "exact": "1"}))
        parts.append(
            f'<p class="nets-asked">Showing results for <em>{escape_text(response.searched_text)}</em>. '
            f'<a href="?{own}" target="_self">Search instead for <em>{escape_text(response.query)}</em></a></p>'
        )
    if response.missing_terms:
        named = ", ".join(f"“{escape_text(word)}”" for word in response.missing_terms)
        parts.append(f'<p class="nets-asked">Our information does not mention {named}.</p>')
    return "".join(parts)


def render_card(result: Result, terms: frozenset[str], weak: bool, searcher: Searcher) -> None:
    """One element per card (the rest of the section folds in HTML, not in a widget): quick to draw, and it can sit
    inside the "More passages" expander, where Streamlit allows no expander."""
    passage = result.passage
    section = searcher.neighbours(passage.passage_id)
    st.markdown(card_html(result, terms, weak, searcher.page_info(passage.doc_id), section), unsafe_allow_html=True)


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
        st.button("Yes", key="reply-yes", on_click=_reply, args=(config.feedback_db, response.query, ids, True))
        st.button("No", key="reply-no", on_click=_reply, args=(config.feedback_db, response.query, ids, False))
    show_small(FEEDBACK_NOTICE)


# --------------------------------------------------------------------------- editor panel


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
        ("Pages", f"{len(manifest.files):,}"),
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
    guard = _guard()
    wait = guard.last_rebuild + rebuild_interval() - time.monotonic()
    if wait > 0 or not guard.rebuild_lock.acquire(blocking=False):
        text = f"A rebuild ran moments ago: try again in {max(wait, 1):.0f} s." if wait > 0 else "A rebuild is running."
        st.markdown(note_html(text, "nets-problem", "status"), unsafe_allow_html=True)
        return
    try:
        guard.last_rebuild = time.monotonic()
        st.session_state["build_outcome"] = _rebuild(config)
    finally:
        guard.rebuild_lock.release()
    pending_changes_cached.clear()
    st.rerun()


def _rebuild(config: PageConfig) -> tuple[bool, str]:
    """(succeeded, the build report or the reason it failed), with a progress bar while it runs."""
    from .build import BuildSettings, build_index
    from .cli import format_build_report
    from .evaluate import check_golden_questions

    settings = BuildSettings()
    bar = st.progress(0.0, text="Reading the corpus…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0, text=f"Embedding passages: {done} of {total}")

    try:
        encoder = load_encoder(settings.backend, str(Path(config.index_dir) / "cache"))
        report = build_index(config.corpus_dir, config.index_dir, settings, encoder=encoder, progress=progress)
        regressions = [] if report.nothing_changed else check_golden_questions(config.corpus_dir, config.index_dir, encoder)
    except NetsSearchError as exc:
        return False, f"The build failed: {exc}"
    finally:
        bar.empty()
    return True, "\n".join([format_build_report(report), *(f"  warning: {line}" for line in regressions)])


def render_unfinished_golden(config: PageConfig) -> None:
    """Golden questions added from readers' replies, finished here: the editor picks the passage that answers
    (its best sentence becomes the phrase the answer must contain) or says our pages do not cover it."""
    waiting = unfinished_golden_questions(config.golden_path)
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
        for rank, result in enumerate(searcher.search(question, k=3).results, 1):
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


def _finish_golden(path: Path, question_id: str, phrase: str | None) -> None:
    if not st.session_state.get("editor_proof"):
        return
    try:
        done = complete_golden_question(path, question_id, phrase)
    except OSError as exc:
        st.session_state["golden_message"] = ("error", f"Could not write {path}: {exc}")
        return
    st.session_state["golden_message"] = ("ok", f"Saved in {path.name}." if done else f"Already finished in {path.name}.")


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
