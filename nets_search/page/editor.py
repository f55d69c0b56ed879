"""The editor panel (sidebar, editor mode only), in an editor's words: what readers see now, what is waiting to be
published, one "Publish changes" button (a rebuild: it reruns the page, so the panel and the search below already
show the new version), then going back to an earlier version, synonyms, and readers' questions. Engineering details
(passages, cache, backend, version id) wait behind "Details". The gate before it: editor_gate.py."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from nets_search.corpus.pages import count_pages, is_settings_file
from nets_search.errors import NetsSearchError
from nets_search.index import store
from nets_search.page import editor_feedback, editor_glossary, editor_versions
from nets_search.page.cards import note_html
from nets_search.page.editor_gate import editor_unlocked, lock_panel, write_cookie
from nets_search.page.editor_versions import pending_changes_cached, pending_changes_now, when
from nets_search.page.highlight import escape_text
from nets_search.page.setup import PageConfig, load_encoder, show_small
from nets_search.types import Manifest

# Editor-only looks, kept here so the readers' stylesheet stays theirs: what is waiting is news, not an error.
EDITOR_CSS = """
.nets-waiting { background: #eef3f5; border-left: 4px solid #4a5a63; color: #1b2a33; padding: 0.5rem 0.75rem;
  border-radius: 4px; margin: 0.25rem 0 0.75rem 0; line-height: 1.5; }
.nets-waiting ul { margin: 0.25rem 0 0 0; padding-left: 1.1rem; }
.st-key-publish button { min-height: 3rem; font-size: 1.1rem; font-weight: 600; }
"""
SETTINGS_NAMES = {"glossary.yaml": "Synonyms (glossary.yaml)", "page.yaml": "Page settings (page.yaml)"}


@dataclass
class _Rebuilds:
    """Process-wide: when the last publish started, and the lock that lets one run at a time."""

    last: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


REBUILDS = _Rebuilds()


def render_editor_panel(config: PageConfig) -> None:
    with st.sidebar:
        write_cookie()
        st.html(f"<style>{EDITOR_CSS}</style>")
        st.header("Editor panel", anchor=False)
        manifest = render_published(config)
        render_waiting(config, manifest)
        render_publish(config)
        editor_versions.render_versions(config)
        editor_glossary.render_synonyms(config)
        editor_feedback.render_unfinished_golden(config)
        editor_feedback.render_gaps(config)
        st.button("Lock the editor panel", key="editor-lock", on_click=lock_panel)


def pages_in_words(count: int) -> str:
    return "1 page" if count == 1 else f"{count:,} pages"


def render_published(config: PageConfig) -> Manifest | None:
    st.subheader("What readers see", anchor=False)
    try:
        manifest = store.current_manifest(config.index_dir)
    except NetsSearchError as exc:
        st.markdown(note_html(f"Nothing is published yet, or it cannot be read: {exc}", "nets-problem", "alert"),
                    unsafe_allow_html=True)
        return None
    st.markdown(note_html(f"{pages_in_words(count_pages(manifest.files))}, published {when(manifest.built_at)}."),
                unsafe_allow_html=True)
    with st.expander("Details"):
        rows = [("Passages", f"{manifest.passages:,}"), ("Model", f"{manifest.model} ({manifest.backend})"),
                ("Version", manifest.version), ("Index folder", str(config.index_dir)),
                ("Corpus folder", str(config.corpus_dir))]
        items = "".join(f"<li><strong>{escape_text(k)}:</strong> {escape_text(v)}</li>" for k, v in rows)
        st.markdown(f'<ul class="nets-facts">{items}</ul>', unsafe_allow_html=True)
    return manifest


def render_waiting(config: PageConfig, manifest: Manifest | None) -> None:
    """What the pages folder holds that readers do not see yet, in a neutral box (news, not an error)."""
    try:
        added, changed, removed = pending_changes_now(config.corpus_dir, config.index_dir,
                                                      manifest.version if manifest else None)
    except NetsSearchError as exc:
        st.markdown(note_html(f"The pages folder cannot be read: {exc}", "nets-problem", "alert"),
                    unsafe_allow_html=True)
        return
    if not (added or changed or removed):
        show_small("Nothing is waiting: readers see everything in the pages folder.")
        return
    items = "".join(f"<li>{escape_text(label)}: {escape_text(_name(name))}</li>"
                    for label, names in (("Added", added), ("Changed", changed), ("Removed", removed))
                    for name in names[:20])
    st.markdown(f'<div class="nets-waiting" role="status"><strong>Waiting to be published</strong>'
                f"<ul>{items}</ul></div>", unsafe_allow_html=True)


def _name(name: str) -> str:
    return SETTINGS_NAMES.get(name, name)


def render_publish(config: PageConfig) -> None:
    """The one big button. A finished publish reruns the page, so the panel above shows the new version at once;
    the outcome is kept for that run and shown under the button, the build's report behind "Details"."""
    done = st.session_state.pop("build_outcome", None)
    missing = store.current_version(config.index_dir) is None
    label = "Publish for the first time" if missing else "Publish changes"
    clicked = st.button(label, type="primary", key="publish", use_container_width=True)
    if done:
        _show_outcome(*done)
    if not clicked or not editor_unlocked(config):
        return
    wait = REBUILDS.last + config.rebuild_interval - time.monotonic()
    if wait > 0 or not REBUILDS.lock.acquire(blocking=False):
        text = (f"Published moments ago: try again in {max(wait, 1):.0f} seconds." if wait > 0
                else "Someone is publishing right now: try again in a minute.")
        st.markdown(note_html(text, "nets-note", "status"), unsafe_allow_html=True)
        return
    try:
        REBUILDS.last = time.monotonic()
        st.session_state["build_outcome"] = _publish(config)
    finally:
        REBUILDS.lock.release()
    pending_changes_cached.clear()
    st.rerun()


def _show_outcome(ok: bool, headline: str, report: str, left_out: tuple[str, ...] = ()) -> None:
    if ok:
        st.markdown(note_html(headline, "nets-note", "status"), unsafe_allow_html=True)
    else:
        st.markdown(note_html(headline, "nets-problem", "alert"), unsafe_allow_html=True)
    for line in left_out:  # a page that could not be read: published without it, and it says so by name
        st.markdown(note_html(line, "nets-prompt", "alert"), unsafe_allow_html=True)
    if report:
        with st.expander("Details of the publish"):
            st.code(report, language=None, wrap_lines=True)


def _publish(config: PageConfig) -> tuple[bool, str, str, tuple[str, ...]]:
    """(succeeded, a line for the editor, the build's report, a line per file left out), with a progress bar while
    it runs."""
    from nets_search.build.build import BuildSettings
    from nets_search.build.rebuild import rebuild_and_check

    settings = BuildSettings()
    bar = st.progress(0.0, text="Reading the pages…")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0, text=f"Preparing the pages for search: {done} of {total}")

    try:
        encoder = load_encoder(settings.backend, str(Path(config.index_dir) / "cache"))
        rebuild = rebuild_and_check(config.corpus_dir, config.index_dir, settings, encoder, progress)
    except NetsSearchError as exc:
        return False, f"Not published: {exc}. Readers still see the previous version.", "", ()
    finally:
        bar.empty()
    left_out = tuple(item.message for item in getattr(rebuild.report, "not_published", ()))
    return True, published_line(rebuild.report), rebuild.summary(), left_out


def published_line(report) -> str:
    """What a publish did, in words: "Done: readers now see the new version (1 page added)."."""
    if report.nothing_changed:
        return "Nothing to publish: readers already see everything in the pages folder."
    parts = [f"{pages_in_words(count_pages(names))} {label}" for label, names in
             (("added", report.added), ("changed", report.changed), ("removed", report.removed))
             if count_pages(names)]
    if any(is_settings_file(name) for name in (*report.added, *report.changed, *report.removed)):
        parts.append("settings or synonyms changed")
    return f"Done: readers now see the new version ({', '.join(parts) or 'no page changed'})."
