"""Hostile questions and generated content against the engine (issue 6, item 4): every question is answered or
refused with QueryError, never an exception of another kind, and every answer keeps the invariants the page
relies on. How the page shows these questions (as literal text, no script run) is tested by the page's own
browser test.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import threading
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nets_search.cli import main as cli
from nets_search.index import store
from nets_search.corpus.pages import read_page
from nets_search.corpus.passages import SplitSettings, split_page
from nets_search.errors import CorpusError, QueryError
from nets_search.page.privacy import MAX_QUESTION_CHARS as MAX_STORED_CHARS, mask_identifiers
from nets_search.search.retrievers import modes
from nets_search.search.query import MAX_QUESTION_CHARS, prepare_question
from nets_search.search.searcher import Searcher
from nets_search.text import words
from nets_search.types import Page, SearchResponse

from .conftest import LIBRARY, SEED_CORPUS
from .index_copies import copy_index
from .corpus.test_pages import BOMB

MODES = modes()

HOSTILE = {
    "empty": "",
    "only-spaces": " \t\n\r  \u00a0\u3000",
    "100k-words": "why does my face go red after eating cheese " * 2300,
    "100k-one-word": "flushing" * 12_500,
    "only-punctuation": "?!.,;:-()[]{}'\"`~@#$%^&*_+=|\\/<>…—",
    "only-emoji": "😀🔥💊🏥❤️‍🩹🧬👩🏽‍⚕️",
    "arabic": "ما هي أعراض متلازمة السرطانات؟",
    "hebrew-with-overrides": "\u202eגידול נוירואנדוקריני\u202c flushing \u2067diet\u2069",
    "nul-and-control": "flushing\x00\x01\x02\x1b[31m diet\x7f\x9b\x08",
    "only-control": "\x00\x01\x02\x03\x1b\x7f\x9b",
    "only-zero-width": "\u200b\u200c\u200d\ufeff\u2060",
    "lone-surrogates": "\ud800flushing\udfff diet\udc80",
    "sql-or": "' OR 1=1 --",
    "sql-drop": "'; DROP TABLE passages; -- flushing",
    "sql-union": "\" UNION SELECT text FROM passages WHERE 1=1 /*",
    "fts-near": "NEAR(",
    "fts-star": '"*"',
    "fts-operators": "flushing NEAR/3 diet AND NOT * OR \"^carcinoid\" col:text",
    "regex": ".*(a+)+$[^\\w]{999999}",
    "format-string": "%s%s%n%x {0} {__class__.__mro__} ${PATH} $(rm -rf /) `id`",
    "html-script": "<script>alert(document.cookie)</script>",
    "html-img": '<img src=x onerror="alert(1)"> flushing',
    "html-entities": "&lt;script&gt;alert(1)&lt;/script&gt; &#x3C;b&#x3E;",
    "markdown-link": "[click here](javascript:alert(1)) diet",
    "markdown-image": "![x](https://evil.example/x.png) ![y](data:text/html;base64,PHNjcmlwdD4=)",
    "markdown-html-mix": "**<u>flushing</u>** `code` <!-- hidden --> [a](<javascript:b>)",
    "combining-marks": "e\u0301" * 3000 + " carcinoid",
    "newlines": "flushing\n\n\n# heading\n- item\n| a | b |",
    "mixed-scripts": "Flüshing 潮紅 приливы قلب tumour ΝΕΤ",
}
REFUSED = {"empty", "only-spaces", "only-control", "only-zero-width"}


def check_response(response: SearchResponse, question: str, k: int, searcher) -> None:
    """What every answer must be, whatever was asked."""
    assert isinstance(response, SearchResponse) and response.query == question
    assert len(prepare_question(question)[0]) <= MAX_QUESTION_CHARS  # glossary words may be added after the cut
    assert not any(unicodedata.category(ch).startswith("C") and ch not in "\n\t" for ch in response.searched_text)
    results = response.results
    assert len(results) <= k and [r.rank for r in results] == list(range(1, len(results) + 1))
    assert len({r.passage.passage_id for r in results}) == len(results)
    scores = [r.score for r in results]
    assert all(isinstance(s, float) and math.isfinite(s) for s in scores)
    assert scores == sorted(scores, reverse=True)
    known = searcher._row_of  # every passage comes from the loaded index, untouched
    for r in results:
        assert r.passage.passage_id in known and searcher.passages[known[r.passage.passage_id]] == r.passage
        assert 0 < len(r.passage.text) <= 1000
        if r.best_sentence is not None:
            start, end = r.best_sentence
            assert 0 <= start < end <= len(r.passage.text)
    assert isinstance(response.no_good_match, bool)
    json.dumps(response.to_dict(), ensure_ascii=False)


def ranking(response: SearchResponse) -> list[tuple[str, float]]:
    return [(r.passage.passage_id, r.score) for r in response.results]


@pytest.mark.parametrize("corpus", ["seed_searcher", "library_searcher"])
@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_question_is_answered_or_refused_cleanly(request, name, corpus):
    seed_searcher = request.getfixturevalue(corpus)  # the 8-passage seed page, and the 31-page NETs library
    question = HOSTILE[name]
    if name in REFUSED:
        with pytest.raises(QueryError, match="the question is empty"):
            seed_searcher.search(question)
        return
    for mode in MODES:
        response = seed_searcher.search(question, k=5, mode=mode)
        check_response(response, question, 5, seed_searcher)
        assert ranking(seed_searcher.search(question, k=5, mode=mode)) == ranking(response)
    if len(question) > MAX_QUESTION_CHARS:
        assert response.truncated


def test_sql_and_markup_in_questions_reach_no_file_of_the_index(seed_searcher, seed_index):
    for name in ("sql-drop", "sql-union", "fts-operators", "html-script"):
        seed_searcher.search(HOSTILE[name])
    store.open_current(seed_index)  # every checksum still matches: nothing was written
    top = seed_searcher.search("what is carcinoid syndrome", k=1).results[0]
    assert top.passage.doc_id == "nets-key-facts"


@pytest.mark.usefixtures("one_model")
@pytest.mark.parametrize("name", ["sql-or", "html-script", "markdown-link", "fts-near", "only-control"])
def test_the_cli_prints_hostile_questions_as_data_or_one_line_of_error(capsys, seed_index, encoder, monkeypatch, name):
    code = cli.main(["search", HOSTILE[name], "--index", str(seed_index), "--json", "-k", "3"])
    out, err = capsys.readouterr()
    if name == "only-control":
        assert code == 2 and out == "" and err.count("\n") == 1 and "the question is empty" in err
        return
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["query"] == HOSTILE[name] and len(data["results"]) == 3


# --------------------------------------------------------------------------- questions stored as feedback
# The review of the third pass: masking ran on the first 2,000 characters only, so when masks had shortened them a
# number cut at character 2,000 ("07700 90", too short to be a phone number) was stored.

ADDRESSES = "jo.bloggs.nets.patient@example.co.uk "  # no digit; masked, a fifth as long: "[email] "


@pytest.mark.parametrize("identifier", ["07700 900123", "943 476 5919", "19610312", "1961.jane@example.com"])
@pytest.mark.parametrize("cut", [2 * MAX_STORED_CHARS, 4 * MAX_STORED_CHARS])
def test_no_part_of_an_identifier_at_the_end_of_what_is_masked_is_stored(identifier, cut):
    """The identifier (every prefix of which holds a digit) starts at each place that puts `cut` inside it, after a
    long word and then addresses in every proportion, so that masks shorten what comes before it by any amount."""
    for plain in range(0, 1300, 12):
        text = "x" * plain + " " + ADDRESSES * (cut // len(ADDRESSES) + 1)
        for offset in range(1, len(identifier)):
            question = text[:cut - offset - 1] + "#" + identifier + " is that safe"  # "#": no space, no shift
            stored = mask_identifiers(question)
            assert not any(char.isdigit() for char in stored), (plain, offset, stored[-40:])


# --------------------------------------------------------------------------- generated questions

FRAGMENTS = st.sampled_from(
    ["flushing", "diarrhoea", "carcinoid", "' OR 1=1 --", "NEAR(", '"*"', "<script>", "](javascript:", "😀", "\x00",
     "\u202e", "ما", "??", "   ", "\n", "tumour", "what is", "-", "*", "AND", "é", "\ud800"]
)
QUESTIONS = st.one_of(
    st.text(max_size=120),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=12).map(" ".join),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=QUESTIONS, k=st.integers(min_value=-3, max_value=150), mode=st.sampled_from(MODES))
def test_any_question_gives_a_well_formed_deterministic_answer_or_a_query_error(seed_searcher, question, k, mode):
    try:
        response = seed_searcher.search(question, k=k, mode=mode)
    except QueryError:
        with pytest.raises(QueryError):
            prepare_question(question)  # refused only when nothing searchable is left
        return
    check_response(response, question, max(1, min(k, 100)), seed_searcher)
    assert ranking(seed_searcher.search(question, k=k, mode=mode)) == ranking(response)


# --------------------------------------------------------------------------- generated pages

BLOCKS = st.sampled_from(
    ["# Title", "## Section", "### Sub", "- item one", "- item two", "1. first", "> a quote", "| a | b |",
     "| --- | --- |", "| 1 | 2 |", "```", "code line", "<div>html</div>", "<br>", "---", "title: x", "",
     "[link](http://x.org)", "![img](x.png)", "**bold** _it_", "Dr. Smith said so. Then he left!", "e.g. this"]
)
LONG_WORD = st.integers(min_value=1, max_value=2500).map(lambda n: "x" * n)
PAGE_TEXT = st.lists(
    st.one_of(BLOCKS, st.text(max_size=200), LONG_WORD, st.text(alphabet=" .\n|#-*>", max_size=40)), max_size=30
).map("\n".join)
SPLIT = st.builds(SplitSettings, max_words=st.integers(20, 200), min_words=st.integers(0, 60))


@settings(max_examples=150, deadline=None)  # the splitter alone: cheap
@given(body=PAGE_TEXT, kind=st.sampled_from(["markdown", "text"]), split=SPLIT)
def test_any_page_splits_into_bounded_unique_passages(body, kind, split):
    page = Page(doc_id="p", title="P", body=body, kind=kind, content_hash="h")
    passages = split_page(page, split)
    assert [p.position for p in passages] == list(range(len(passages)))
    assert len({p.passage_id for p in passages}) == len(passages)
    for p in passages:
        assert p.text.strip() and len(p.text) <= split.max_chars
        assert p.doc_id == "p" and p.title == "P"
    assert split_page(page, split) == passages  # deterministic


@settings(max_examples=100, deadline=None)
@given(data=st.one_of(st.binary(max_size=400), PAGE_TEXT.map(lambda t: ("---\n" + t).encode("utf-8", "surrogatepass"))))
def test_any_file_is_read_as_a_page_or_refused_in_one_line_naming_it(data):
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "any page.md"
        file.write_bytes(data)
        try:
            page = read_page(file, Path(folder))
        except CorpusError as exc:
            assert str(exc).startswith("any page.md: ") and "\n" not in str(exc)
            return
    assert page.path == "any page.md" and page.doc_id == "any page"
    for passage in split_page(page):
        assert 0 < len(passage.text) <= 1000


# --------------------------------------------------------------------------- hostile corpus files
# Issue "Reliability and security, third pass", items 1-4, as the tester ran them: a copy of a shipped corpus (the
# seed corpus/ and the library examples/nets-library/), one hostile file added, `nets-search build` run on it.

SHIPPED = {"seed": ("seed_index", SEED_CORPUS), "library": ("library_index", LIBRARY)}
OUTSIDE = "The vault code is zebra forty two."


@pytest.fixture(params=sorted(SHIPPED))
def shipped(one_model, request, tmp_path, encoder, monkeypatch) -> tuple[Path, Path]:
    """(corpus, index): copies of a shipped corpus and of its built index; the CLI gets the loaded model."""
    index_fixture, source = SHIPPED[request.param]
    corpus, index = tmp_path / "c", tmp_path / "index"
    shutil.copytree(source, corpus)
    copy_index(request.getfixturevalue(index_fixture), index)
    return corpus, index


def run_build(capsys, corpus: Path, index: Path, *flags: str) -> tuple[int, str, str]:
    """`nets-search build` in a thread, so that a build that blocks (on a pipe) fails the test, not the run."""
    codes: list[int] = []
    command = ["build", "--corpus", str(corpus), "--index", str(index), "--quiet", *flags]
    worker = threading.Thread(target=lambda: codes.append(cli.main(command)), daemon=True)
    worker.start()
    worker.join(600)
    assert codes, "the build blocked"
    out, err = capsys.readouterr()
    return codes[0], out, err


def link_out(path: Path, text: str = OUTSIDE) -> None:
    outside = path.parent.parent / "outside" / "notes.md"
    outside.parent.mkdir(exist_ok=True)
    outside.write_text(text, encoding="utf-8")
    path.unlink(missing_ok=True)
    os.symlink(os.path.relpath(outside, path.parent), path)


def bad_name(path: Path) -> None:
    with open(os.fsencode(path.parent) + b"/caf\xe9.md", "wb") as handle:
        handle.write(b"Coffee and flushing.")


def write(text: str):
    return lambda path: path.write_text(text, encoding="utf-8")


DEEP_FOLDERS = "/".join(["d" * 200] * 5)  # its page's id, "d…d/…/page", is 1,009 characters: too long for an index


def deep_page(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("Flushing in a page filed deep.", encoding="utf-8")


OUTSIDE_LINK = "a link to a file outside the corpus folder"
HOSTILE_FILES = [  # (the file, how it is made, the one line that names it, skipped with --skip-bad-files)
    pytest.param("passwd.md", lambda path: os.symlink("/etc/passwd", path), f"passwd.md: {OUTSIDE_LINK}", True,
                 id="link-to-etc-passwd"),
    pytest.param("notes.md", link_out, f"notes.md: {OUTSIDE_LINK}", True, id="link-out"),
    pytest.param("glossary.yaml", link_out, f"glossary.yaml: {OUTSIDE_LINK}", False, id="glossary-link-out"),
    pytest.param("pipe.md", os.mkfifo, "pipe.md: a named pipe, not a regular file", True, id="fifo-page"),
    pytest.param("more-questions.jsonl", os.mkfifo, "more-questions.jsonl: a named pipe, not a regular file", True,
                 id="fifo-questions"),
    pytest.param("café.md", bad_name, "caf\\xe9.md: the file name is not valid UTF-8; rename the file", True,
                 id="name-not-utf8"),
    pytest.param("bomb.md", write(f"---\n{BOMB}\n---\nFlushing."), "bomb.md: line 2 uses a YAML anchor or alias",
                 True, id="front-matter-bomb"),
    pytest.param("glossary.yaml", write(BOMB), "glossary.yaml: line 1 uses a YAML anchor or alias", False,
                 id="glossary-bomb"),
    pytest.param(f"{DEEP_FOLDERS}/page.md", deep_page,
                 f"{DEEP_FOLDERS}/page.md: the page id (its path without the suffix) is 1,009 characters, over the "
                 "1,000 an index takes", True, id="page-id-too-long"),
]


@pytest.mark.parametrize("name, make, message, skippable", HOSTILE_FILES)
def test_a_hostile_corpus_file_is_refused_in_one_line_or_skipped(shipped, capsys, encoder, name, make, message,
                                                                   skippable):
    corpus, index = shipped
    before = store.current_version(index)
    make(corpus / name)
    for flags in ((), ("--skip-bad-files",)):
        code, out, err = run_build(capsys, corpus, index, *flags)
        if flags and skippable:
            assert code == 0 and err == "" and out.startswith("Nothing changed"), out
            (listed,) = [line.strip() for line in out.splitlines() if line.strip().startswith("Not published:")]
            assert listed.startswith(f"Not published: {message.split(': ')[0]} — ")
        else:
            assert code == 2 and out == "" and err.startswith(f"nets-search: error: {message}"), err
            assert err.count("\n") == 1
        assert store.current_version(index) == before
    searcher = Searcher(index, encoder=encoder)
    assert not any("vault" in p.text or "root:" in p.text for p in searcher.passages)


@pytest.mark.parametrize("levels", [10, 60])
def test_a_page_with_a_deep_list_is_indexed_to_its_last_word(shipped, capsys, encoder, levels):
    corpus, index = shipped
    items = [f"{'  ' * level}- dose step {level} of the titration" for level in range(levels)]
    (corpus / "somatostatin-analogues.md").write_text("\n".join([
        "# Somatostatin analogues", "", "The drugs and their dose steps:", "", *items, "", "## Pasireotide", "",
        "Pasireotide is given as an injection into a muscle once every four weeks.",
    ]), encoding="utf-8")
    code, out, err = run_build(capsys, corpus, index)
    assert code == 0 and err == "" and "somatostatin-analogues" in out, out
    searcher = Searcher(index, encoder=encoder)
    top = searcher.search("how often is pasireotide given", k=3).results[0]
    assert top.passage.doc_id == "somatostatin-analogues" and "Pasireotide is given" in top.passage.text
    indexed = {w for p in searcher.passages if p.doc_id == "somatostatin-analogues" for w in words(p.embedding_text)}
    assert set(words((corpus / "somatostatin-analogues.md").read_text(encoding="utf-8"))) <= indexed


@pytest.mark.parametrize("make", [lambda p: link_out(p, f"next_step: {OUTSIDE}"), os.mkfifo,
                                  lambda p: p.write_text(f"next_step: Call us.\n{BOMB}\n")], ids=["link-out", "fifo", "bomb"])
def test_hostile_page_settings_leave_the_page_its_defaults(tmp_path, make):
    from nets_search.page.setup import PageSettings, load_page_settings

    corpus = tmp_path / "c"
    corpus.mkdir()
    make(corpus / "page.yaml")
    assert load_page_settings(str(corpus)) == PageSettings()
