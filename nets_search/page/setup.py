"""The page's settings and what it keeps loaded per process: read once per run from the environment (and the
editors' `corpus/page.yaml`), the model and the searcher kept for the process across browser sessions (in
process_state's holders, which no browser can clear), and where a session connects from. Shared by the readers'
page (page.py) and the editor panel (editor.py)."""

from __future__ import annotations

import gc
import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import streamlit as st

from nets_search.index import store
from nets_search.corpus.files import load_yaml_file
from nets_search.encode.encoder import base_backend
from nets_search.errors import CorpusError
from nets_search.page.highlight import escape_text
from nets_search.page.process_state import kept
from nets_search.search.searcher import Searcher
from nets_search.settings import is_on

log = logging.getLogger(__name__)

BUILD_COMMAND = "nets-search build"


@dataclass(frozen=True)
class PageConfig:
    index_dir: Path
    corpus_dir: Path
    feedback_db: Path | None  # None: feedback switched off
    golden_path: Path
    editor: bool  # editor mode asked for; the panel still needs the editor token (see `editor_unlocked`)
    editor_token: str = ""
    rebuild_interval: float = 60.0  # seconds between two rebuilds started from the page
    trusted_proxies: int = 0  # proxies in front whose X-Forwarded-For is believed (see `client_source`)
    editor_remember: float = 8 * 3600.0  # seconds a browser stays unlocked across reloads (0: until the tab closes)


def load_config(argv: Sequence[str], environ: Mapping[str, str]) -> PageConfig:
    """Settings from environment variables, plus `--editor` after `--` on the `streamlit run` line."""
    corpus = Path(environ.get("NETS_SEARCH_CORPUS") or "corpus")
    feedback_on = environ.get("NETS_SEARCH_FEEDBACK", "1").strip().lower() not in {"0", "false", "no", "off"}
    return PageConfig(
        index_dir=Path(environ.get("NETS_SEARCH_INDEX") or "index"),
        corpus_dir=corpus,
        feedback_db=Path(environ.get("NETS_SEARCH_FEEDBACK_DB") or "feedback.sqlite") if feedback_on else None,
        golden_path=Path(environ.get("NETS_SEARCH_GOLDEN") or corpus / "golden-questions.jsonl"),
        editor=is_on(environ.get("NETS_SEARCH_EDITOR")) or "--editor" in argv,
        editor_token=environ.get("NETS_SEARCH_EDITOR_TOKEN", ""),
        rebuild_interval=_seconds(environ.get("NETS_SEARCH_REBUILD_INTERVAL"), 60.0, "NETS_SEARCH_REBUILD_INTERVAL"),
        trusted_proxies=_proxies(environ.get("NETS_SEARCH_TRUST_FORWARDED")),
        editor_remember=3600 * _seconds(environ.get("NETS_SEARCH_EDITOR_REMEMBER_HOURS"), 8.0,
                                        "NETS_SEARCH_EDITOR_REMEMBER_HOURS"),
    )


def _seconds(value: str | None, default: float, name: str) -> float:
    """A number (of seconds, or hours); an unreadable value is logged and the default used (a page always starts)."""
    try:
        return max(0.0, float(value)) if value and value.strip() else default
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, value, default)
        return default


def _proxies(value: str | None) -> int:
    """NETS_SEARCH_TRUST_FORWARDED: how many proxies in front of the page add to X-Forwarded-For (`1`, `yes` or
    `on`: one); unset, `0` or unreadable: none, so the header is ignored (logged when unreadable)."""
    text = (value or "").strip().lower()
    if text.isdigit():
        return int(text)
    if text not in {"", "false", "no", "off"} and not is_on(text):
        log.warning("NETS_SEARCH_TRUST_FORWARDED=%r is not a number of proxies; X-Forwarded-For is not trusted", value)
    return int(is_on(text))


def client_source(trusted_proxies: int) -> str:
    """Where this browser session connects from: the key of the per-source limits (wrong editor tokens, feedback)."""
    forwarded = st.context.headers.get_all("X-Forwarded-For") if trusted_proxies else []
    return source_of(forwarded, st.context.ip_address, trusted_proxies)


def source_of(forwarded: Sequence[str], peer: object, trusted_proxies: int) -> str:
    """Behind `trusted_proxies` proxies, the address the outermost of them saw: that many entries from the right
    of X-Forwarded-For, as each proxy appends the address it was reached from (entries further left are whatever
    the client sent, so anyone can forge them). Otherwise, or when the header is shorter than that (the request
    came round the proxies), the connection's peer. An IPv6 address counts as its /64 (one machine often holds a
    whole /64); no usable address (Streamlit reports none for loopback) is "unknown", one source for all."""
    hops = [hop.strip() for line in forwarded for hop in line.split(",") if hop.strip()]
    address = hops[-trusted_proxies] if trusted_proxies and len(hops) >= trusted_proxies else peer
    try:
        ip = ipaddress.ip_address(address.strip()) if isinstance(address, str) else None
    except ValueError:
        ip = None
    if ip is None:
        return "unknown"
    if ip.version == 6:
        return str(ip.ipv4_mapped or ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


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
        data = load_yaml_file(path, path.parent, "malformed page settings") or {}
        if not isinstance(data, dict):
            raise ValueError("write 'next_step: ...' and 'next_step_link: ...' lines")
        return PageSettings(str(data.get("next_step") or DEFAULT_NEXT_STEP).strip(),
                            str(data.get("next_step_link") or "").strip())
    except (OSError, UnicodeDecodeError, ValueError, CorpusError) as exc:
        log.warning("%s: not used (%s)", path, str(exc).splitlines()[0])
        return PageSettings()


# --------------------------------------------------------------------------- loading (kept per process)
# In process_state's holders, not st.cache_resource: any browser session can clear Streamlit's caches for everyone.


@kept()
def load_encoder(backend: str, cache_dir: str):
    """The model, loaded once per process and backend (a few seconds). Shared by every searcher and rebuild,
    so a new index version is picked up without loading the model again. `cache_dir` is where the engine
    keeps its ONNX export (index/cache), as the CLI does."""
    from nets_search.encode.encoder import Encoder

    return Encoder(backend, cache_dir=Path(cache_dir))


class _SearcherSlot:
    """Holds the searcher of one index folder; replaced when a newer index version appears on disk."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.searcher: Searcher | None = None


@kept()
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


@kept(max_entries=1)
def settle_heap(version: str) -> str:
    """Streamlit runs a full garbage collection after every rerun (`runner.postScriptGC`, against memory creep);
    over the model's and the index's objects that cost ~60 ms of an 80 ms search on the page. Once per index
    version, after its first answer is drawn (so what drawing loads is included), freeze what is loaded
    (`gc.freeze`) so those collections walk only what later reruns create; unfreeze and collect first, so a searcher
    replaced after a rebuild is freed, not frozen."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return version


@kept()
def serve_without_nagle_delay() -> int:
    """Streamlit binds its server socket itself, with protocol number 0, so asyncio does not switch Nagle's
    algorithm off (TCP_NODELAY) on the connections uvicorn accepts from it: each rerun's messages then wait for the
    browser's delayed ACK, 40 ms on Linux and up to 200 ms on Windows (measured: 44 ms of a two-element page's
    45 ms rerun over loopback). Switch it off on the listening socket, whose later connections inherit it, and on
    those already open. Once per process; returns how many sockets were set."""
    done = 0
    for thing in gc.get_objects():
        if isinstance(thing, socket.socket) and thing.family in (socket.AF_INET, socket.AF_INET6) \
                and thing.type == socket.SOCK_STREAM and thing.fileno() >= 0:
            try:
                thing.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                done += 1
            except OSError:
                continue
    return done


def clear_caches(keep_model: bool = True) -> None:
    """Forget the kept searchers (and the model too unless `keep_model`): for tests and after errors. Only the
    server calls this; Streamlit's "clear cache" does not reach these holders."""
    searcher_slot.clear()
    settle_heap.clear()
    gc.unfreeze()
    if not keep_model:
        load_encoder.clear()


def show_small(text: str) -> None:
    """A quiet line of help text (st.caption's grey is too pale for WCAG AA)."""
    st.markdown(f'<p class="nets-small">{escape_text(text)}</p>', unsafe_allow_html=True)
