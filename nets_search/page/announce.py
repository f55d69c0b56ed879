"""Telling a screen reader what changed: a polite live region (kept outside Streamlit's elements, so it survives
every rerun) says what a search found, and focus moves to what the reader's action changed — the results heading
(the emergency box's heading when there is one) after a search or an example, the reply's heading after a reply,
where the thanks and any next step follow. A shared link or Back announces too, without moving focus. Nothing from
the reader reaches the script: its text is ours, written as JSON."""

from __future__ import annotations

import json

import streamlit as st

MOVED = "moved"  # session-state key: what the reader's last action changed ("results" or "feedback"), for focus
FOCUS = {"results": ".nets-urgent-title, .nets-results-heading", "feedback": ".nets-feedback-heading"}


def announce_and_focus(key: str, said: str, moved: str | None) -> None:
    """Say `said` in the live region and move focus for `moved` ("results", "feedback" or None: no move). `key`
    names what was asked, so a rerun that changed nothing the reader asked for (the options, "More passages")
    says nothing again."""
    if moved is None and st.session_state.get("announced") == key:
        return
    st.session_state["announced"] = key
    target = FOCUS.get(moved or "", "")
    st.session_state["moves"] = st.session_state.get("moves", 0) + 1  # a new script body runs again
    with st.container(key="nets-script"):
        st.html(FOCUS_SCRIPT.replace("SAID", _js(said)).replace("TARGET", _js(target))
                .replace("MOVE", str(st.session_state["moves"])), unsafe_allow_javascript=True)


def _js(value: str) -> str:
    """A JavaScript string literal that cannot end the script element."""
    return json.dumps(value).replace("<", "\\u003c")


FOCUS_SCRIPT = """<script>
(() => {
  const move = MOVE;
  let live = document.getElementById("nets-live");
  if (!live) {
    live = document.createElement("div");
    live.id = "nets-live";
    live.className = "nets-visually-hidden";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    document.body.appendChild(live);
  }
  live.textContent = "";
  setTimeout(() => { live.textContent = SAID; }, 100);
  const target = TARGET;
  let tries = 0;
  const focus = () => {
    const heading = target && document.querySelector(target);
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    else if (target && tries++ < 40) { setTimeout(focus, 50); }
  };
  focus();
})();
</script>"""
