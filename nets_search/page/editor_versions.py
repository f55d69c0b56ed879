"""Going back: the last published versions, newest first, each with when it was published and what it changed
against the one before (from the manifests' per-page content hashes), and a "Go back to this version" button
(store.rollback: one atomic switch, refused for a damaged version). After going back, the panel says plainly that
the pages folder still holds the later changes, so the next Publish does not bring them back unnoticed."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from nets_search.corpus.pages import is_settings_file
from nets_search.errors import NetsSearchError
from nets_search.index import store
from nets_search.page.cards import note_html
from nets_search.page.highlight import escape_text
from nets_search.page.setup import PageConfig, show_small
from nets_search.types import KeptVersion

MAX_NAMES = 4  # pages named per line of a version's changes; the rest are counted


def pending_changes_now(corpus_dir: Path, index_dir: Path, version: str | None) -> tuple[tuple[str, ...], ...]:
    """(added, changed, removed) between the pages folder and the published version, read again as soon as a file
    in the folder is added, removed or saved (an editor who just copied a page in sees it listed)."""
    return pending_changes_cached(str(corpus_dir), str(index_dir), version, folder_stamp(Path(corpus_dir)))


def folder_stamp(folder: Path) -> tuple[int, int]:
    """(files, newest change time) of the folder's top level: cheap, and different after any edit there."""
    try:
        stamps = [entry.stat(follow_symlinks=False).st_mtime_ns for entry in os.scandir(folder)]
    except OSError:
        return (0, 0)
    return (len(stamps), max(stamps, default=0))


@st.cache_data(ttl=60, show_spinner=False)
def pending_changes_cached(corpus_dir: str, index_dir: str, version: str | None,
                           stamp: tuple[int, int] = (0, 0)) -> tuple[tuple[str, ...], ...]:
    """pending_changes, kept per published version and folder stamp (each key is read once, not every rerun)."""
    from nets_search.build.changes import pending_changes

    return pending_changes(Path(corpus_dir), Path(index_dir))


def when(stamp: str) -> str:
    """A manifest's UTC time ("2025-05-03T14:02:11Z") as an editor reads it: "3 May 2025, 14:02 UTC"."""
    try:
        parsed = time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return stamp
    return f"{parsed.tm_mday} {time.strftime('%b %Y, %H:%M', parsed)} UTC"


@dataclass(frozen=True)
class VersionLine:
    """One published version as the panel lists it."""

    name: str
    published: str  # in words; "" when damaged
    changes: str  # what it changed against the version before, in words
    in_use: bool
    usable: bool


def version_lines(kept: list[KeptVersion], current: str | None) -> list[VersionLine]:
    """Newest first. Each whole version is compared with the whole one before it (the oldest kept has none)."""
    lines, before = [], None
    for version in kept:
        if version.manifest is None:
            lines.append(VersionLine(version.name, "", "Damaged: it cannot be used.", version.name == current, False))
            continue
        files = version.manifest.files
        changes = changes_in_words(before, files) if before is not None else "The oldest version kept."
        lines.append(VersionLine(version.name, when(version.manifest.built_at), changes, version.name == current,
                                 True))
        before = files
    return lines[::-1]


def changes_in_words(before: dict[str, str], after: dict[str, str]) -> str:
    """"2 pages added (travel, sleep); 1 changed (diet)", or that only synonyms or settings changed."""
    from nets_search.build.changes import compare

    added, changed, removed = compare(before, after)
    parts = []
    for label, names in (("added", added), ("changed", changed), ("removed", removed)):
        pages = [n for n in names if not is_settings_file(n)]
        if pages:
            shown = ", ".join(pages[:MAX_NAMES]) + (f" and {len(pages) - MAX_NAMES} more" if len(pages) > MAX_NAMES
                                                     else "")
            parts.append(f"{'1 page' if len(pages) == 1 else f'{len(pages)} pages'} {label} ({shown})")
    if any(is_settings_file(n) for n in (*added, *changed, *removed)):
        parts.append("synonyms or settings changed")
    return "; ".join(parts).capitalize() + "." if parts else "Published again, with no change."


def render_versions(config: PageConfig) -> None:
    st.subheader("Go back to an earlier version", anchor=False)
    message = st.session_state.pop("rollback_message", None)
    if message:
        css, role = ("nets-note", "status") if message[0] == "ok" else ("nets-problem", "alert")
        st.markdown(note_html(message[1], css, role), unsafe_allow_html=True)
    try:
        current = store.current_version(config.index_dir)
        kept = store.kept_versions(config.index_dir, check_files=False)
    except NetsSearchError as exc:
        show_small(f"The published versions cannot be listed: {exc}")
        return
    lines = version_lines(kept, current)
    if current and lines and not lines[0].in_use:
        _went_back_note(config, current)
    if len(lines) < 2:
        show_small("Only one version is kept so far: after the next Publish you can come back to this one.")
    newer = True  # lines above the one in use are newer: going "back" to one of them is using it again
    for number, line in enumerate(lines):
        title = line.published or line.name
        st.markdown(f'<p class="nets-gap"><strong>{escape_text(title)}</strong>'
                    f'{" (readers see this one)" if line.in_use else ""}<br>'
                    f'<span>{escape_text(line.changes)}</span></p>', unsafe_allow_html=True)
        newer = newer and not line.in_use
        if line.usable and not line.in_use:
            st.button("Use this version again" if newer else "Go back to this version", key=f"rollback-{number}",
                      on_click=_go_back, args=(config.index_dir, line.name, title))


def _went_back_note(config: PageConfig, current: str) -> None:
    """Readers see an earlier version than the newest: say what the next Publish will do about it."""
    try:
        waiting = any(pending_changes_now(config.corpus_dir, config.index_dir, current))
    except NetsSearchError:
        waiting = True
    text = ("Readers see an earlier version than the newest one published. "
            + ("The pages folder still holds the later changes (listed under “Waiting to be published”): the next "
               "Publish brings them back. Remove or correct those pages first if you do not want them."
               if waiting else "The pages folder matches what readers see."))
    st.markdown(note_html(text, "nets-prompt", "status"), unsafe_allow_html=True)


def _go_back(index_dir: Path, name: str, title: str) -> None:
    """Switch readers to version `name` (only from an unlocked panel; the button is only drawn there)."""
    if not st.session_state.get("editor_proof"):
        return
    try:
        store.rollback(index_dir, name)
    except NetsSearchError as exc:
        st.session_state["rollback_message"] = ("error", f"Not switched: {exc}. Readers still see the same version.")
        return
    pending_changes_cached.clear()
    st.session_state["rollback_message"] = ("ok", f"Done: readers now see the version published {title}.")
