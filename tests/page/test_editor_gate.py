"""The token gate as a login form: the reload marker (signed, expiring, never the token), the right token always
opening, only wrong tries counted, per session and address and overall."""

from __future__ import annotations

import time

import pytest

from nets_search.page import editor_gate
from nets_search.page import setup as page_setup

from .conftest import PAUSED, TOKEN, button, enter_token, gate_app, shown

pytestmark = pytest.mark.usefixtures("page_env")


def test_a_reload_marker_holds_an_expiry_and_a_signature_never_the_token():
    expires = int(time.time()) + 3600
    marker = editor_gate.remember_marker(TOKEN, expires)
    assert marker.startswith(f"{expires}.") and TOKEN not in marker and editor_gate.editor_proof(TOKEN) not in marker
    assert editor_gate.marker_is_valid(TOKEN, marker, time.time())
    assert not editor_gate.marker_is_valid(TOKEN, marker, expires + 1)  # expired
    assert not editor_gate.marker_is_valid("another long editor token", marker, time.time())  # the token changed
    later = f"{expires + 10**6}.{marker.split('.')[1]}"
    assert not editor_gate.marker_is_valid(TOKEN, later, time.time())  # an expiry pushed out by hand
    for junk in (None, "", "x", "1.2.3", f"{expires}.", "abc.def"):
        assert not editor_gate.marker_is_valid(TOKEN, junk, time.time())


def test_a_browser_holding_a_valid_marker_is_unlocked_after_a_reload(monkeypatch):
    cookie = {"value": editor_gate.remember_marker(TOKEN, int(time.time()) + 60)}
    monkeypatch.setattr(editor_gate, "_cookie", lambda: cookie["value"])
    at = gate_app(monkeypatch)
    assert button(at, "Publish changes", at.sidebar)
    cookie["value"] = editor_gate.remember_marker(TOKEN, int(time.time()) - 1)
    assert "Editor token" in [t.label for t in gate_app(monkeypatch).sidebar.text_input]


def test_remembering_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("NETS_SEARCH_EDITOR_REMEMBER_HOURS", "0")
    monkeypatch.setattr(editor_gate, "_cookie", lambda: editor_gate.remember_marker(TOKEN, int(time.time()) + 60))
    at = gate_app(monkeypatch)
    assert not [b for b in at.sidebar.button if b.label == "Publish changes"]
    assert page_setup.load_config([], {"NETS_SEARCH_EDITOR_REMEMBER_HOURS": "2"}).editor_remember == 7200
    assert page_setup.load_config([], {"NETS_SEARCH_EDITOR_REMEMBER_HOURS": "soon"}).editor_remember == 8 * 3600


def test_the_right_token_opens_sets_the_marker_once_and_is_never_counted(monkeypatch):
    at = gate_app(monkeypatch)
    for _ in range(editor_gate.MAX_TOKEN_TRIES - 1):
        assert editor_gate.WRONG in enter_token(at, "guess")
    enter_token(at, TOKEN)
    assert button(at, "Publish changes", at.sidebar)
    scripts = [h.proto.body for h in at.get("html") if "document.cookie" in h.proto.body]
    assert len(scripts) == 1 and TOKEN not in scripts[0] and "SameSite=Strict" in scripts[0]
    assert "Max-Age=28800" in scripts[0]  # 8 hours by default
    assert not [h for h in at.run().get("html") if "document.cookie" in h.proto.body]  # written once
    other = gate_app(monkeypatch)  # a new session: 4 wrong tries were counted for the address, the right one not
    assert editor_gate.WRONG in enter_token(other, "guess")
    assert PAUSED in enter_token(other, "guess")


def test_wrong_tries_from_everyone_together_are_paused_too(monkeypatch):
    where = {"n": 0}
    monkeypatch.setattr(editor_gate, "client_source", lambda trusted: f"198.51.100.{where['n']}")
    monkeypatch.setattr(editor_gate, "_session_id", lambda: f"tab {where['n']}")
    at = gate_app(monkeypatch)
    for n in range(editor_gate.MAX_TOKEN_TRIES_OVERALL):
        where["n"] = n
        assert editor_gate.WRONG in enter_token(at, "guess")
    where["n"] = 999
    assert PAUSED in enter_token(at, "guess")
    enter_token(at, TOKEN)  # the right token still opens
    assert button(at, "Publish changes", at.sidebar)


def test_locking_the_panel_asks_for_the_token_again(monkeypatch):
    at = gate_app(monkeypatch)
    enter_token(at, TOKEN)
    button(at, "Lock the editor panel", at.sidebar).click()
    at.run()
    assert "Editor token" in [t.label for t in at.sidebar.text_input]
    assert "What readers see" not in shown(at, at.sidebar)
