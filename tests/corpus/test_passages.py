"""Splitting keeps every word: whatever the nesting (lists, numbered lists, quotes, tables inside one another, up
to and past markdown-it's nesting limit) and whatever the lengths, every word of a page is in some passage (its
text, or its breadcrumb for the words of a heading). Issue "Reliability and security, third pass", item 1: a list
ten levels deep silently dropped the rest of its page. HTML blocks and inline HTML keep their words as plain text
(the review of that pass: an HTML block such as <details> was dropped without a word).
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nets_search.corpus.blocks import MAX_NESTING
from nets_search.corpus.passages import SplitSettings, split_page
from nets_search.text import words
from nets_search.types import Page

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12)
KINDS = ("bullet", "numbered", "quote")


def paragraph(line_words: list[str]) -> list[str]:
    return [" ".join(line_words)]


def table(rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    return [lines[0], "|" + " --- |" * len(rows[0]), *lines[1:]]


def blocks_lines(blocks: list[list[str]]) -> list[str]:
    """Blocks one after another, a blank line between them."""
    lines: list[str] = []
    for block in blocks:
        lines += ([""] if lines else []) + block
    return lines


def contain(kind: str, blocks: list[list[str]]) -> list[str]:
    """The blocks inside one list item (bulleted or numbered) or one quote."""
    lines = blocks_lines(blocks)
    if kind == "quote":
        return [f"> {line}" if line else ">" for line in lines]
    marker = "- " if kind == "bullet" else "1. "
    return [marker + lines[0]] + [(" " * len(marker) + line) if line else "" for line in lines[1:]]


def nest(kinds: list[str], block: list[str]) -> list[str]:
    for kind in reversed(kinds):
        block = contain(kind, [block])
    return block


INLINE_TAGS = ("b", "em", "span", "a", "sup")  # join what is on either side: the generator puts a separator there
SEPARATOR = st.sampled_from([" ", "&nbsp;", " &amp; ", "&#32;", "<br>", "<br/>", " <!-- a note --> "])


def phrase(items: list[tuple[str, str, str]]) -> str:
    """Words, some wrapped in an inline tag, each followed by a separator (a space, an entity, <br>, a comment)."""
    return "".join((f"<{tag}>{word}</{tag}>" if tag else word) + separator for tag, word, separator in items).strip()


def html_block(form: str, phrases: list[str]) -> list[str]:
    """An HTML block (CommonMark's kind 6: it starts with a block tag and runs to a blank line) holding phrases."""
    if form == "cells":  # side by side with no space between: the tags alone separate the words
        return ["<table><tr>" + "".join(f"<td>{p}</td>" for p in phrases) + "</tr></table>"]
    if form == "details":
        return [f"<details><summary>{phrases[0]}</summary>" + "<br>".join(phrases[1:]) + "</details>"]
    return ["<div>", *phrases, "</div>"]  # one phrase a line


def expected_words(body: str) -> set[str]:
    """The words a reader sees: tags (and comments) taken out, entities read."""
    return set(words(html.unescape(re.sub(r"<[^>]*>", " ", body))))


PHRASE = st.lists(st.tuples(st.sampled_from(("", *INLINE_TAGS)), WORD, SEPARATOR), min_size=1, max_size=30).map(phrase)
HTML = st.builds(html_block, st.sampled_from(["cells", "details", "lines"]), st.lists(PHRASE, min_size=1, max_size=5))
INLINE_HTML = st.builds(  # a paragraph (it starts with a word), where a block tag alone separates two words
    lambda first, tag, rest: [f"{first}<{tag}>{rest}</{tag}>"], WORD, st.sampled_from(["div", "p", "td", "li"]), PHRASE)
PARAGRAPH = st.lists(WORD, min_size=1, max_size=250).map(paragraph)
TABLE = st.integers(1, 14).flatmap(
    lambda columns: st.lists(st.lists(WORD, min_size=columns, max_size=columns), min_size=2, max_size=8)
).map(table)
MIXED = st.recursive(
    st.one_of(PARAGRAPH, TABLE, HTML, INLINE_HTML),
    lambda inner: st.builds(contain, st.sampled_from(KINDS), st.lists(inner, min_size=1, max_size=3)),
    max_leaves=12,
)
DEEP = st.builds(nest, st.lists(st.sampled_from(KINDS), min_size=1, max_size=MAX_NESTING // 2 + 20), MIXED)
BLOCK = st.one_of(MIXED, DEEP)
SECTION = st.builds(lambda heading, blocks: ["## " + " ".join(heading), "", *blocks_lines(blocks)],
                    st.lists(WORD, min_size=1, max_size=4), st.lists(BLOCK, min_size=1, max_size=3))
BODY = st.builds(lambda intro, sections: "\n".join(blocks_lines(intro) + [line for s in sections for line in ["", *s]]),
                 st.lists(BLOCK, max_size=2), st.lists(SECTION, max_size=3)).filter(str.strip)
SPLIT = st.builds(SplitSettings, max_words=st.integers(20, 200), min_words=st.integers(0, 60),
                  max_chars=st.integers(200, 1000))


def missing_words(body: str, split: SplitSettings) -> set[str]:
    page = Page(doc_id="p", title="Page", body=body, kind="markdown", content_hash="h")
    passages = split_page(page, split)
    found = {word for p in passages for word in words(p.embedding_text)}
    return expected_words(body) - found - {"1"}  # "1" is the numbered lists' marker, not a word of the page


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=BODY, split=SPLIT)
def test_every_word_of_a_page_is_in_some_passage(body, split):
    assert not missing_words(body, split)


def deep_list_page(levels: int) -> str:
    """The tester's page: a list nested `levels` deep, then a section of its own."""
    items = [f"{'  ' * level}- level {level} of the list" for level in range(levels)]
    return "\n".join(["# Somatostatin analogues", "", "The drugs:", "", *items, "", "## Pasireotide", "",
                      "Pasireotide is given as an injection once a month."])


@pytest.mark.parametrize("levels", [9, 10, 30, MAX_NESTING // 2 - 1, MAX_NESTING // 2, 300])
def test_a_deep_list_keeps_the_rest_of_its_page(levels):
    page = Page("drugs", "Somatostatin analogues", deep_list_page(levels), "markdown", "h")
    passages = split_page(page)
    (after,) = [p for p in passages if "Pasireotide is given" in p.text]
    assert after.section == "Pasireotide"
    assert not missing_words(page.body, SplitSettings())


def test_code_inside_a_list_or_a_quote_is_kept():
    body = "- a list item\n\n  ```\n  octreotide dose table\n  ```\n\n> a quote\n>\n>     lanreotide code block\n"
    assert not missing_words(body, SplitSettings())


@pytest.mark.parametrize("columns", [40, 120])
def test_a_table_wider_than_a_passage_is_split_without_hanging(columns):
    """Its header row alone is over the character cap: it is not repeated (it used to loop forever)."""
    rows = [[f"heading{c}" for c in range(columns)], *[[f"cell{r}x{c}" for c in range(columns)] for r in range(3)]]
    body = "\n".join(table(rows))
    page = Page("wide", "Wide", body, "markdown", "h")
    passages = split_page(page)
    assert all(len(p.text) <= 1000 for p in passages)
    assert not missing_words(body, SplitSettings())


SIDE_EFFECTS = "<details><summary>Side effects</summary>Nausea and flushing are common.</details>"


@pytest.mark.parametrize("body", [
    SIDE_EFFECTS,
    f"Before it.\n\n{SIDE_EFFECTS}\n\nAfter it.",
    f"- an item\n\n  {SIDE_EFFECTS}",
    f"> a quote\n>\n> {SIDE_EFFECTS}",
    "<div>\n<details>\n<summary>Side effects</summary>\nNausea and flushing\nare common.\n</details>\n</div>",
], ids=["alone", "between-paragraphs", "in-a-list", "in-a-quote", "over-lines"])
def test_an_html_block_is_indexed_as_its_text(body):
    page = Page("p", "Octreotide", body, "markdown", "h")
    text = " ".join(p.text for p in split_page(page))
    assert "Side effects Nausea and flushing are common." in " ".join(text.replace("•", " ").split())
    assert "<" not in text and "summary" not in text


@pytest.mark.parametrize("body, text", [
    ("<p>Tumour &amp; flushing&nbsp;diary &lt;3</p>", "Tumour & flushing diary <3"),
    ("<div>Flushing diary<script>track('flushing')</script><style>p { color: red }</style></div>", "Flushing diary"),
    ("Flushing <script>track()</script>diary<style>p { color: red }</style>.", "Flushing diary."),
    ("<ul><li>Stomach</li><li>Bowel</li></ul>", "Stomach Bowel"),
    ("Stomach<td>Bowel</td>, <b>small</b> <i>intestine</i><br>heart", "Stomach Bowel , small intestine; heart"),
    ("<div>Kept <!-- an editor's note --> text</div>", "Kept text"),
    ("<div>\n<![note]>\nNausea &amp; flushing\n</div>", "Nausea & flushing"),
    ("<div>Nausea and flushing <![ x", "Nausea and flushing"),
], ids=["entities", "script-and-style-block", "script-and-style-inline", "block-tags", "inline-tags", "comment",
        "declaration-html.parser-refuses", "unclosed-declaration"])
def test_html_is_read_as_a_reader_sees_it(body, text):
    (passage,) = split_page(Page("p", "Page", body, "markdown", "h"))
    assert passage.text == text
