"""What the page keeps per process and where a session comes from: the model, searcher and wrong-try count outlive a
browser's "clear cache"; proxies are believed only as set; Nagle is off; the loaded heap is frozen once per version."""

from __future__ import annotations

from pathlib import Path

import pytest

from nets_search.page import editor_gate
from nets_search.page import setup as page_setup
from nets_search.index import store

from ..conftest import LIBRARY
from .conftest import FOODS, PAUSED, enter_token, gate_app, result_cards

pytestmark = pytest.mark.usefixtures("page_env")


def page_model(index: Path):
    """The model the page loaded for this index, fetched as `page_setup.get_searcher` fetches it."""
    from nets_search.encode.encoder import base_backend

    return page_setup.load_encoder(base_backend(store.current_manifest(index).backend), str(index / "cache"))


def clear_cache_as_a_browser_can() -> None:
    """What Streamlit runs when any browser session sends BackMsg(clear_cache=True): its own handler, on a stand-in
    for the sending session (whose session state it also empties)."""
    from types import SimpleNamespace

    from streamlit.runtime.app_session import AppSession

    AppSession._handle_clear_cache_request(SimpleNamespace(_session_state={}))


@pytest.mark.parametrize("corpus_kind", ["seed", "library"])
def test_a_browsers_clear_cache_keeps_the_wrong_try_count_the_model_and_the_searcher(monkeypatch, request, seed_corpus_and_index,
                                                                                    corpus_kind):
    corpus, index = seed_corpus_and_index if corpus_kind == "seed" else (LIBRARY, request.getfixturevalue("library_index"))
    monkeypatch.setenv("NETS_SEARCH_INDEX", str(index))
    monkeypatch.setenv("NETS_SEARCH_CORPUS", str(corpus))
    at = gate_app(monkeypatch)
    for _ in range(editor_gate.MAX_TOKEN_TRIES):
        enter_token(at, "guess")
    searcher, model = page_setup.get_searcher(index), page_model(index)
    clear_cache_as_a_browser_can()
    after = gate_app(monkeypatch)  # a new session, as a client that cleared its own state would come back
    assert PAUSED in enter_token(after, "guess")
    assert page_setup.get_searcher(index) is searcher  # readers keep the loaded index and model
    assert page_model(index) is model
    after.query_params["q"] = FOODS
    assert "tryptophan" in result_cards(after.run())[0]


@pytest.mark.parametrize(("forwarded", "peer", "proxies", "source"), [
    ([], "203.0.113.7", 0, "203.0.113.7"),
    (["198.51.100.9"], "10.0.0.2", 0, "10.0.0.2"),  # not trusted: the header is ignored
    (["198.51.100.9"], "10.0.0.2", 1, "198.51.100.9"),
    (["6.6.6.6, 198.51.100.9"], "10.0.0.2", 1, "198.51.100.9"),  # what the client wrote itself is not believed
    (["6.6.6.6", "198.51.100.9"], "10.0.0.2", 1, "198.51.100.9"),  # the header sent twice
    (["6.6.6.6, 198.51.100.9, 10.0.0.3"], "10.0.0.2", 2, "198.51.100.9"),
    ([], "10.0.0.2", 1, "10.0.0.2"),  # came round the proxy
    (["not an address"], "10.0.0.2", 1, "unknown"),
    ([], None, 0, "unknown"),  # Streamlit gives no address for loopback
    ([], "2001:db8::1", 0, "2001:db8::/64"),
    (["2001:db8::2"], "10.0.0.2", 1, "2001:db8::/64"),
    ([], "::ffff:203.0.113.7", 0, "203.0.113.7"),
])
def test_the_source_of_a_session_believes_only_the_trusted_proxies(forwarded, peer, proxies, source):
    assert page_setup.source_of(forwarded, peer, proxies) == source


@pytest.mark.parametrize(("value", "proxies"), [(None, 0), ("", 0), ("0", 0), ("1", 1), ("2", 2), ("yes", 1),
                                                ("off", 0), ("nginx", 0)])
def test_trusting_x_forwarded_for_is_a_setting(value, proxies):
    environ = {} if value is None else {"NETS_SEARCH_TRUST_FORWARDED": value}
    assert page_setup.load_config([], environ).trusted_proxies == proxies


def test_the_page_switches_nagle_off_on_its_listening_socket_and_the_connections_accepted_from_it():
    import socket

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # protocol 0, as Streamlit binds its own
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    early, _ = listener.accept()
    try:
        assert early.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0  # what asyncio leaves on such sockets
        page_setup.serve_without_nagle_delay.clear()
        assert page_setup.serve_without_nagle_delay() >= 2
        late_client = socket.create_connection(listener.getsockname())
        late, _ = listener.accept()
        assert early.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert late.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1  # inherited from the listener
        for sock in (late, late_client):
            sock.close()
    finally:
        for sock in (early, client, listener):
            sock.close()


def test_the_loaded_heap_is_frozen_once_per_version_and_a_replaced_searcher_is_still_freed():
    import gc
    import weakref

    class Loaded:  # a cycle, as a searcher's objects may be: freed only by the collector
        def __init__(self) -> None:
            self.me = self

    page_setup.settle_heap.clear()
    old = Loaded()
    gone = weakref.ref(old)
    page_setup.settle_heap("v1")
    assert gc.get_freeze_count() > 0
    frozen = gc.get_freeze_count()
    page_setup.settle_heap("v1")
    assert gc.get_freeze_count() == frozen  # once per version, not per search
    del old
    page_setup.settle_heap("v2")  # a rebuild's new version: the old searcher's cycle is collected, not kept frozen
    assert gone() is None
    gc.unfreeze()
