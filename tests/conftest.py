"""Shared fixtures: the real model loaded once per session, tiny corpora in temporary folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

REPO = Path(__file__).resolve().parents[1]
SEED_CORPUS = REPO / "corpus"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def encoder(tmp_path_factory):
    """The real bundled all-MiniLM-L6-v2 on the default backend (loads in seconds): one per test session."""
    from nets_search.encode.encoder import DEFAULT_BACKEND, Encoder

    return Encoder(DEFAULT_BACKEND, cache_dir=tmp_path_factory.mktemp("model-cache"))


@pytest.fixture
def one_model(monkeypatch, encoder):
    """Every `Encoder` the code under test opens (the CLI's, a build's, a page's) is the session's loaded model: a
    load costs seconds and hundreds of MB, and the answers are the same."""
    monkeypatch.setattr("nets_search.encode.encoder.Encoder", lambda *a, **k: encoder)
    return encoder


@pytest.fixture
def make_corpus(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write {relative path: text} into a fresh corpus folder and return it."""

    def write(pages: dict[str, str], folder: Path | None = None) -> Path:
        root = folder or tmp_path / "corpus"
        root.mkdir(parents=True, exist_ok=True)
        for name, text in pages.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return write


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, encoder) -> Path:
    """The repository's corpus/ built once into a temporary index folder."""
    from nets_search.build.build import build_index

    root = tmp_path_factory.mktemp("seed")
    corpus = root / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    index = root / "index"
    build_index(corpus, index, encoder=encoder)
    return index


@pytest.fixture(scope="session")
def seed_searcher(seed_index, encoder):
    from nets_search.search.searcher import Searcher

    return Searcher(seed_index, encoder=encoder)


def copy_seed_page(corpus: Path) -> None:
    """The seed page and its labelled questions (so its version is calibrated on questions of its own, as the
    shipped corpus's is), but not the editors' golden file, which page tests write themselves, nor the glossary."""
    corpus.mkdir(parents=True, exist_ok=True)
    for path in [*SEED_CORPUS.glob("*.md"), *SEED_CORPUS.glob("*.jsonl")]:
        if path.name != "golden-questions.jsonl":
            shutil.copy(path, corpus / path.name)


def page(title: str, *sections: tuple[str, str]) -> str:
    """A small Markdown page with front matter and the given (heading, body) sections."""
    parts = [f"---\ntitle: {title}\nsource: https://example.org/{title.lower().replace(' ', '-')}\n---\n"]
    for heading, body in sections:
        parts.append(f"## {heading}\n\n{body}\n")
    return "\n".join(parts)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (CI=true) a browser or accessibility check may not skip itself (no Chromium, Playwright or axe-core):
    such a skip is reported as a failure, with its reason."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI", "").lower() == "true" and report.skipped and item.get_closest_marker("browser"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"CI=true: a browser check cannot run here: {reason}"


LIBRARY = REPO / "examples" / "nets-library"


@pytest.fixture
def qdrant_server(monkeypatch):
    """The Qdrant "server" of a test: qdrant-client's in-memory engine, shared by every connection the test makes,
    reached through the same client calls as a real server at NETS_SEARCH_QDRANT_URL (no Qdrant server can run on
    the machines the tests run on: no network, and Qdrant ships no Python wheel of its server)."""
    from qdrant_client import QdrantClient

    class SharedClient(QdrantClient):
        def close(self, **kwargs) -> None:  # one connection's end; the "server" lives on for the test
            pass

    shared = SharedClient(":memory:")
    monkeypatch.setenv("NETS_SEARCH_QDRANT_URL", "http://qdrant.test:6333")
    monkeypatch.setattr("nets_search.index.qdrant_vectors.connect", lambda: shared)
    return shared


@pytest.fixture(scope="session")
def library_index(tmp_path_factory, encoder) -> Path:
    """examples/nets-library (31 pages, several hundred passages) built once, questions and glossary included."""
    from nets_search.build.build import build_index

    root = tmp_path_factory.mktemp("library")
    shutil.copytree(LIBRARY, root / "corpus")
    build_index(root / "corpus", root / "index", encoder=encoder)
    return root / "index"


@pytest.fixture(scope="session")
def library_searcher(library_index, encoder):
    from nets_search.search.searcher import Searcher

    return Searcher(library_index, encoder=encoder)


def library_pages_into(corpus: Path) -> None:
    """Copy the library's pages and glossary (not its questions) into a corpus folder."""
    for path in LIBRARY.iterdir():
        if path.suffix in (".md", ".yaml"):
            shutil.copy(path, corpus / path.name)
