"""Synonyms from the panel: add, change and remove the glossary's `lay words: our words` entries ("jab" ->
"injection"), checked (corpus/glossary_file.py: no empty side, no duplicate, nothing most passages hold) and written
with the file's comments kept. A saved synonym waits to be published like a page change; readers' open questions
whose words it maps are marked handled at once."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from nets_search.corpus import glossary_file
from nets_search.errors import CorpusError, NetsSearchError
from nets_search.index.lexical import analyse
from nets_search.page.cards import note_html
from nets_search.page.editor_versions import pending_changes_cached
from nets_search.page.feedback import FeedbackStore
from nets_search.page.setup import PageConfig, get_searcher, show_small
from nets_search.corpus.glossary import Glossary
from nets_search.search.query import COMMON_TERM_SHARE

NEW = "(add a new synonym)"


def glossary_path(config: PageConfig) -> Path:
    return Path(config.corpus_dir) / glossary_file.GLOSSARY_FILE


def render_synonyms(config: PageConfig) -> None:
    st.subheader("Synonyms", anchor=False)
    show_small("When readers use words our pages do not, say which of our words they mean: “jab” means "
               "“injection”. Saved at once; readers get it after the next Publish.")
    message = st.session_state.pop("glossary_message", None)
    if message:
        css, role = ("nets-note", "status") if message[0] == "ok" else ("nets-problem", "alert")
        st.markdown(note_html(message[1], css, role), unsafe_allow_html=True)
    try:
        found = glossary_file.entries(glossary_file.read_text(glossary_path(config)))
    except CorpusError as exc:
        st.markdown(note_html(f"The synonyms file cannot be read, so it cannot be edited here: {exc}",
                              "nets-problem", "alert"), unsafe_allow_html=True)
        return
    terms = [NEW] + sorted(entry.term for entry in found)
    picked = st.selectbox("Synonym to change or remove", terms, key="synonym-pick")
    entry = next((e for e in found if e.term == picked), None)
    with st.form("synonym-form", border=False):
        st.text_input("Readers' words", value=entry.term if entry else "", key=f"synonym-term-{picked}")
        st.text_input("Our words", value=entry.expansion if entry else "", key=f"synonym-ours-{picked}")
        st.form_submit_button("Save the change" if entry else "Add synonym", type="primary", on_click=_save,
                              args=(config, picked, entry.term if entry else None))
    if entry is not None:
        st.button(f"Remove “{entry.term}”", key="synonym-remove", on_click=_remove, args=(config, entry.term))


def too_common(config: PageConfig):
    """A check for an expansion: True when each of its words is in most published passages (or it has none a
    search weighs), so it would find everything and help no search. Without an index, nothing is refused."""
    def check(expansion: str) -> bool:
        terms = set(analyse(expansion))
        if not terms:
            return True
        try:
            passages = get_searcher(config.index_dir).passages
        except NetsSearchError:
            return False
        most = COMMON_TERM_SHARE * len(passages)
        counts = dict.fromkeys(terms, 0)
        for passage in passages:
            held = set(analyse(passage.text)) & terms
            for held_term in held:
                counts[held_term] += 1
        return len(passages) >= 4 and all(count > most for count in counts.values())
    return check


def _save(config: PageConfig, picked: str, replacing: str | None) -> None:
    """The form's submit (Enter in either field, or the button): save what the two fields hold."""
    if not st.session_state.get("editor_proof"):
        return
    term = st.session_state.get(f"synonym-term-{picked}") or ""
    ours = st.session_state.get(f"synonym-ours-{picked}") or ""
    try:
        term, ours = glossary_file.add_entry(glossary_path(config), term, ours, too_common(config), replacing)
    except NetsSearchError as exc:
        st.session_state["glossary_message"] = ("error", f"Not saved: {exc}")
        return
    except OSError as exc:
        st.session_state["glossary_message"] = ("error", f"Not saved: {exc.strerror or exc}.")
        return
    handled = mark_gaps_handled(config, term, ours)
    pending_changes_cached.clear()
    st.session_state[f"synonym-term-{picked}"] = st.session_state[f"synonym-ours-{picked}"] = ""
    st.session_state["synonym-pick"] = NEW
    also = f" {handled} reader question{'s' if handled != 1 else ''} it answers marked handled." if handled else ""
    st.session_state["glossary_message"] = (
        "ok", f"Saved: “{term}” means “{ours}”. Publish changes to let readers use it.{also}")


def _remove(config: PageConfig, term: str) -> None:
    if not st.session_state.get("editor_proof"):
        return
    try:
        glossary_file.remove_entry(glossary_path(config), term)
    except NetsSearchError as exc:
        st.session_state["glossary_message"] = ("error", f"Not removed: {exc}")
        return
    except OSError as exc:
        st.session_state["glossary_message"] = ("error", f"Not removed: {exc.strerror or exc}.")
        return
    pending_changes_cached.clear()
    st.session_state["synonym-pick"] = NEW
    st.session_state["glossary_message"] = ("ok", f"Removed “{term}”. Publish changes to let readers see it gone.")


def mark_gaps_handled(config: PageConfig, term: str, ours: str) -> int:
    """Readers' open questions that hold `term` (as the search matches it) are handled by the new synonym."""
    if config.feedback_db is None:
        return 0
    feedback = FeedbackStore(config.feedback_db)
    entry = Glossary(((term, ours),))
    keys = [gap.key for gap in feedback.unanswered(limit=500) if entry.matches(gap.question)]
    return len(keys) if keys and feedback.mark_handled(keys, "synonym added") else 0
