"""Escaping and highlighting: reader and corpus text can never become markup, and marks land on the right words."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nets_search.page.highlight import escape_attribute, escape_text, highlight, mark_words, query_terms, valid_span

OUR_TAGS = re.compile(r'<br>|</?mark>|<strong class="best-sentence">|</strong>')

INJECTIONS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    "**bold** and _italic_ and `code`",
    "$x^2$ and :red[warning] and :material/home:",
    "# heading\n\n<div>block</div>",
    "&lt;script&gt; already escaped",
]


def plain(fragment: str) -> str:
    """What a reader sees: our own tags dropped, <br> back to newlines, entities decoded."""
    return html.unescape(OUR_TAGS.sub(lambda m: "\n" if m.group() == "<br>" else "", fragment))


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_stay_literal(text):
    out = highlight(text, query_terms("script click bold heading"))
    assert plain(out) == text
    without_ours = OUR_TAGS.sub("", out)
    assert "<" not in without_ours and ">" not in without_ours
    bare = re.sub(r"&#?\w+;", "", without_ours)
    for markdown_char in "*_[]()`$:#":
        assert markdown_char not in bare


def test_output_is_one_line_so_a_blank_line_cannot_end_the_html_block():
    out = escape_text("first paragraph\n\n**second** paragraph\r\nthird")
    assert "\n" not in out and "\r" not in out
    assert out.count("<br>") == 3


def test_quotes_and_ampersands_are_escaped_once():
    assert escape_text("it's \"fish\" & chips") == "it&#39;s &quot;fish&quot; &amp; chips"
    assert '"' not in escape_attribute('https://x.test/?a=1&b="2"')


def test_query_words_marked_by_their_stem():
    terms = query_terms("what foods should I avoid?")
    out = mark_words("Avoiding eating foods that contain tryptophan; food diaries help.", terms)
    assert "<mark>Avoiding</mark>" in out
    assert "<mark>foods</mark>" in out and "<mark>food</mark>" in out
    assert "<mark>eating</mark>" not in out


def test_question_words_are_not_marked():
    assert query_terms("what should I do, why does it happen?") == query_terms("happen")


def test_uk_and_us_spellings_match():
    out = mark_words("Diarrhoea at night", query_terms("diarrhea"))
    assert "<mark>Diarrhoea</mark>" in out


def test_a_term_inside_an_entity_is_not_marked():
    out = mark_words("fish & chips", query_terms("amp"))
    assert "<mark>" not in out and "&amp;" in out


def test_best_sentence_is_emphasised_and_words_still_marked():
    text = "Coffee can trigger flushing. Avoid foods rich in tryptophan. Exercise helps."
    start = text.index("Avoid")
    end = text.index("tryptophan.") + len("tryptophan.")
    out = highlight(text, query_terms("foods to avoid"), (start, end))
    best = re.search(r'<strong class="best-sentence">(.*?)</strong>', out).group(1)
    assert plain(best) == "Avoid foods rich in tryptophan."
    assert "<mark>Avoid</mark>" in best and "<mark>foods</mark>" in best
    assert plain(out) == text


@pytest.mark.parametrize("span", [None, (5, 5), (-1, 3), (3, 999), (10, 2), ()])
def test_a_bad_best_sentence_span_is_ignored(span):
    text = "Short passage text."
    assert valid_span(span, len(text)) is None
    assert "best-sentence" not in highlight(text, frozenset(), span)


@given(st.text(), st.text(max_size=40))
def test_any_text_round_trips_and_never_contains_foreign_tags(text, question):
    out = highlight(text, query_terms(question))
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert plain(out) == expected
    assert "<" not in OUR_TAGS.sub("", out)


@given(st.text(st.characters(exclude_characters="\r"), min_size=1), st.data())
def test_any_valid_span_round_trips(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    out = highlight(text, query_terms(text[:20]), (start, end))
    assert plain(out) == text
    assert out.count('<strong class="best-sentence">') == 1
