"""The editor token gate: a login form (Enter submits), the pause after wrong tries, and the marker that keeps a
browser unlocked across a page reload for a while.

The token never leaves the form: a browser session holds a keyed hash of it (`editor_proof`), and the browser a
signed, expiring marker in a cookie (`remember_marker`): the expiry and an HMAC of it under a secret derived from
the token. The marker cannot be turned back into the token, stops working when it expires or the token changes,
and is sent back only to this site (SameSite=Strict). Nothing here logs what was typed."""

from __future__ import annotations

import hashlib
import hmac
import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from nets_search.page.cards import note_html
from nets_search.page.process_state import Limit
from nets_search.page.setup import PageConfig, client_source

MAX_TOKEN_TRIES = 5  # wrong tries per source address, and per browser session, in a pause's time
MAX_TOKEN_TRIES_OVERALL = 20  # wrong tries from everyone together in a pause's time
# The right token opens the panel even during a pause (so an attacker's guesses never lock an editor out); what
# stops guessing is then the token's length: shorter tokens leave the panel off.
MIN_TOKEN_LENGTH = 16
TOKEN_PAUSE_SECONDS = 60
COOKIE = "nets_search_editor"
TOKEN_FIELD = "editor_token_input"
PAUSED = "Too many wrong tries: wait a minute, then try again."
WRONG = "That is not the editor token."


class WrongTries:
    """Wrong tokens counted for the process (out of reach of Streamlit's "clear cache", which any browser session
    can send): per source address and per browser session, and all together. Only wrong tries are counted."""

    def __init__(self) -> None:
        self.each = Limit(MAX_TOKEN_TRIES, TOKEN_PAUSE_SECONDS)
        self.overall = Limit(MAX_TOKEN_TRIES_OVERALL, TOKEN_PAUSE_SECONDS)

    def count(self, source: str, session: str) -> bool:
        """Count one wrong try; False when a pause is on for this source, this session or everyone."""
        return self.each.count(("source", source), ("session", session)) and self.overall.count("all")

    def clear(self) -> None:
        self.each.clear()
        self.overall.clear()


WRONG_TRIES = WrongTries()


def editor_proof(token: str) -> str:
    """What a browser session holds once it has entered the token: a keyed hash, never the token itself."""
    return hmac.new(token.encode("utf-8"), b"nets-search editor", hashlib.sha256).hexdigest()


def _marker_secret(token: str) -> bytes:
    """The key that signs reload markers: derived from the token, kept on the server, never sent anywhere."""
    return hmac.new(token.encode("utf-8"), b"nets-search editor reload marker", hashlib.sha256).digest()


def remember_marker(token: str, expires: int) -> str:
    """`<expiry>.<signature>`: what the browser keeps so a reload before `expires` (Unix seconds) stays unlocked."""
    signature = hmac.new(_marker_secret(token), str(expires).encode("ascii"), hashlib.sha256).hexdigest()
    return f"{expires}.{signature}"


def marker_is_valid(token: str, marker: object, now: float) -> bool:
    """True for a marker this token signed that has not expired (a malformed one is simply not valid)."""
    if not isinstance(marker, str) or marker.count(".") != 1:
        return False
    expires, _ = marker.split(".")
    if not expires.isdigit() or int(expires) <= now:
        return False
    return hmac.compare_digest(marker, remember_marker(token, int(expires)))


def usable_token(config: PageConfig) -> bool:
    return len(config.editor_token) >= MIN_TOKEN_LENGTH


def editor_unlocked(config: PageConfig) -> bool:
    """True only in editor mode, with a usable token on the server, for a session that entered it (or whose browser
    holds a valid reload marker: the session is then unlocked as if it had)."""
    if not (config.editor and usable_token(config)):
        return False
    expected = editor_proof(config.editor_token)
    proof = st.session_state.get("editor_proof")
    if isinstance(proof, str) and hmac.compare_digest(proof, expected):
        return True
    if config.editor_remember > 0 and marker_is_valid(config.editor_token, _cookie(), time.time()):
        st.session_state["editor_proof"] = expected
        return True
    return False


def _cookie() -> str | None:
    try:
        return st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no browser request behind this run (a test runner): no cookie
        return None


def _try_token(config: PageConfig) -> None:
    """The form's submit (a click, or Enter in the field). The right token always opens the panel, whatever anyone
    else tried; a wrong one counts against the source address, the browser session and everyone, and past the
    limits wrong tries are refused until the pause is over (an attacker pauses only themself)."""
    entered = st.session_state.get(TOKEN_FIELD) or ""
    if usable_token(config) and hmac.compare_digest(entered.encode("utf-8"), config.editor_token.encode("utf-8")):
        st.session_state["editor_proof"] = editor_proof(config.editor_token)
        st.session_state.pop("editor_message", None)
        if config.editor_remember > 0:
            expires = int(time.time() + config.editor_remember)
            st.session_state["editor_set_cookie"] = (remember_marker(config.editor_token, expires),
                                                     int(config.editor_remember))
        return
    counted = WRONG_TRIES.count(client_source(config.trusted_proxies), _session_id())
    st.session_state["editor_message"] = WRONG if counted else PAUSED


def _session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else ""


def lock_panel() -> None:
    """"Lock the panel": this session forgets the proof and the browser its marker."""
    st.session_state.pop("editor_proof", None)
    st.session_state["editor_set_cookie"] = ("", 0)


def write_cookie() -> None:
    """After an unlock or a lock, once: set (or clear) the reload marker in the browser. Script in the page is the
    only way Streamlit offers to set a cookie; the marker holds no part of the token."""
    pending = st.session_state.pop("editor_set_cookie", None)
    if not pending:
        return
    value, seconds = pending
    st.html(
        "<script>document.cookie = "
        f"'{COOKIE}={value}; Max-Age={seconds}; Path=/; SameSite=Strict'"
        " + (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def render_editor_gate(config: PageConfig) -> None:
    """In editor mode without the token: say why there is no panel, or ask for the token in a form (Enter in the
    field submits it, as does the button)."""
    with st.sidebar:
        write_cookie()  # a lock just pressed clears the marker here
        st.header("Editor panel", anchor=False)
        if not config.editor_token:
            _problem("Editor mode is on, but no editor token is set on the server (NETS_SEARCH_EDITOR_TOKEN), so "
                     "the editor panel stays off.")
            return
        if not usable_token(config):
            _problem(f"The editor token set on the server is shorter than {MIN_TOKEN_LENGTH} characters, so the "
                     "editor panel stays off: a short token could be guessed. Set a longer NETS_SEARCH_EDITOR_TOKEN.")
            return
        with st.form("editor-gate", clear_on_submit=True, border=False, enter_to_submit=True):
            st.text_input("Editor token", type="password", key=TOKEN_FIELD, autocomplete="current-password")
            st.form_submit_button("Unlock the editor panel", type="primary", on_click=_try_token, args=(config,))
        message = st.session_state.get("editor_message")
        if message:
            _problem(message)


def _problem(text: str) -> None:
    st.markdown(note_html(text, "nets-problem", "alert"), unsafe_allow_html=True)
