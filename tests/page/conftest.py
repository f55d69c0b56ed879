"""What the page tests share: a real index of the seed page, the page pointed at it, and ways to drive the page."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from nets_search.page import editor_gate
from nets_search.page import reader as page
from nets_search.page import reply
from nets_search.page import setup as page_setup
from nets_search.build.build import BuildSettings, build_index

from ..conftest import copy_seed_page

ROOT = Path(__file__).resolve().parents[2]
FOODS = "what foods should I avoid?"
INJECTIONS = [
    "<script>alert('x')</script> flushing",
    "[click here](javascript:alert(1)) diarrhoea",
    "**bold** text about _tumours_",
]


@pytest.fixture(scope="session")
def seed_corpus_and_index(tmp_path_factory) -> tuple[Path, Path]:
    """(corpus, index) built once per session from the seed page, with the real model."""
    root = tmp_path_factory.mktemp("seed")
    corpus = root / "corpus"
    copy_seed_page(corpus)
    build_index(corpus, root / "index", BuildSettings())
    return corpus, root / "index"


@pytest.fixture
def writable_site(monkeypatch, tmp_path, seed_corpus_and_index) -> tuple[Path, Path]:
    """(corpus, index): copies of the seed corpus and index that a test may change, and the page pointed at them."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(seed_corpus_and_index[0], corpus)
    shutil.copytree(seed_corpus_and_index[1], index)
    monkeypatch.setenv("NETS_SEARCH_CORPUS", str(corpus))
    monkeypatch.setenv("NETS_SEARCH_INDEX", str(index))
    return corpus, index


@pytest.fixture
def page_env(monkeypatch, tmp_path, seed_corpus_and_index):
    """Point the page at the seed index and fresh feedback files; forget cached searchers between tests.

    The cached model is kept on purpose: it is read-only, and reloading it would cost ~4 s per test.
    """
    corpus, index = seed_corpus_and_index
    monkeypatch.setenv("NETS_SEARCH_INDEX", str(index))
    monkeypatch.setenv("NETS_SEARCH_CORPUS", str(corpus))
    monkeypatch.setenv("NETS_SEARCH_FEEDBACK_DB", str(tmp_path / "feedback.sqlite"))
    monkeypatch.setenv("NETS_SEARCH_GOLDEN", str(tmp_path / "golden-questions.jsonl"))
    monkeypatch.delenv("NETS_SEARCH_EDITOR", raising=False)
    monkeypatch.delenv("NETS_SEARCH_FEEDBACK", raising=False)
    forget_limits()
    page_setup.clear_caches(keep_model=True)
    st.cache_data.clear()
    yield
    forget_limits()
    page_setup.clear_caches(keep_model=True)
    st.cache_data.clear()


def forget_limits() -> None:
    """Wrong editor tokens and feedback replies are counted for the life of the process: each test starts afresh."""
    for limit in (editor_gate.WRONG_TRIES, *reply.REPLY_LIMITS):
        limit.clear()


def new_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


TOKEN = "correct horse battery staple"


def editor_app(monkeypatch) -> AppTest:
    """The page in editor mode, in a browser session that has entered the editor token."""
    monkeypatch.setenv("NETS_SEARCH_EDITOR", "1")
    monkeypatch.setenv("NETS_SEARCH_EDITOR_TOKEN", TOKEN)
    at = new_app()
    at.session_state["editor_proof"] = editor_gate.editor_proof(TOKEN)
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key=page.QUESTION).input(question)
    button(at, "Search").click()
    return at.run()


def button(at: AppTest, label: str, container=None):
    found = [b for b in (container or at).button if b.label == label]
    assert found, f"no button {label!r}; buttons: {[b.label for b in (container or at).button]}"
    return found[0]


def shown(at: AppTest, container=None) -> str:
    """All Markdown, headings and code the page shows, as source text."""
    where = container or at
    parts = [m.value for m in where.markdown] + [c.value for c in where.code]
    parts += [h.value for h in (*where.title, *where.header, *where.subheader)]
    return "\n".join(parts)


_HEADING = re.compile(r'<h2 class="nets-heading[^"]*"[^>]*>(.*?)</h2>')


def headings(at: AppTest) -> list[str]:
    """The page's section headings as a reader reads them: Streamlit's and our own HTML ones (tags dropped)."""
    ours = [html.unescape(re.sub(r"<[^>]+>", "", found)) for m in at.markdown for found in _HEADING.findall(m.value)]
    return [h.value for h in at.header] + ours


def result_cards(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith('<div class="nets-card">')]


def gate_app(monkeypatch) -> AppTest:
    """A new browser session on the page in editor mode, token set on the server but not entered."""
    monkeypatch.setenv("NETS_SEARCH_EDITOR", "1")
    monkeypatch.setenv("NETS_SEARCH_EDITOR_TOKEN", TOKEN)
    return new_app().run()


def enter_token(at: AppTest, token: str) -> str:
    """Type a token and press Unlock; returns what the sidebar then says."""
    at.text_input(key="editor_token_input").input(token)
    button(at, "Unlock the editor panel", at.sidebar).click()
    return shown(at.run(), at.sidebar)


PAUSED = "Too many wrong tries"
