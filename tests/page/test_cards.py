"""Result cards: labels, the answer line first, tables and lists drawn from passages, the rest of a section, review
dates in words, the emergency box."""

from __future__ import annotations

import dataclasses

import pytest

from nets_search.page import cards
from nets_search.text import points_elsewhere
from nets_search.types import Passage, Result, Urgency

from .conftest import FOODS, ask, new_app, result_cards

pytestmark = pytest.mark.usefixtures("page_env")


def _result(text: str, label: str = "strong", best: tuple[int, int] | None = None) -> Result:
    passage = Passage("p", "d", "T", "S", text, 0, 0)
    return Result(rank=1, score=0.03, passage=passage, retriever_ranks=(("dense", 1), ("lexical", 1)),
                  best_sentence=best, label=label)


@pytest.mark.parametrize(("label", "shown_as"), [("strong", "Strong match"), ("good", "Good match"),
                                                 ("related", "Related"), ("weak", "Weak match")])
def test_a_card_shows_the_label_the_engine_gave_its_result(label, shown_as):
    html = cards.card_html(_result("text", label), frozenset())
    assert f'<p class="nets-strength nets-{label}">{shown_as}</p>' in html


TABLE_FIRST = "A | B\n1 | 2\nLead in.\n\nThe answer is here. Then more."


def test_the_answer_line_leads_the_card_before_a_table_that_opens_its_passage():
    answer = (TABLE_FIRST.index("The answer"), TABLE_FIRST.index(" Then"))
    html = cards.card_html(_result(TABLE_FIRST, best=answer), frozenset({"answer"}))
    assert '<div class="nets-answer"><p>The <mark>answer</mark> is here.</p></div>' in html
    assert html.index("nets-answer") < html.index("nets-crumb") < html.index("<table>")
    assert '<strong class="best-sentence">The <mark>answer</mark> is here.</strong>' in html  # and in its passage


@pytest.mark.parametrize("sentence", [
    "Visit the practical tips and tools section for information on managing symptoms.",
    "See our page on diet for more.", "Read more", "For more information, go to www.example.org.",
    "Find out more about treatment.", "Watch the video above.",
])
def test_a_sentence_that_only_points_elsewhere_is_not_the_answer_line(sentence):
    text = f"NETs are tumours. {sentence}"
    html = cards.card_html(_result(text, best=(text.index(sentence), len(text))), frozenset())
    assert "nets-answer" not in html and "best-sentence" not in html
    assert html.index("nets-crumb") < html.index("NETs are tumours.")  # the card starts with the passage


@pytest.mark.parametrize("sentence", ["See your GP if the diarrhoea lasts more than a week.",
                                      "Read labels for tryptophan before you buy food."])
def test_advice_that_names_no_place_to_go_is_an_answer(sentence):
    assert not points_elsewhere(sentence)
    html = cards.card_html(_result(sentence, best=(0, len(sentence))), frozenset())
    assert "nets-answer" in html


def test_a_table_row_or_a_weak_match_gives_no_answer_line():
    row = TABLE_FIRST.index("1 | 2"), TABLE_FIRST.index("\nLead")
    html = cards.card_html(_result(TABLE_FIRST, best=row), frozenset())
    assert "nets-answer" not in html and '<tr class="best-sentence"><td>1</td><td>2</td></tr>' in html
    html = cards.card_html(_result("The answer.", "weak", best=(0, 11)), frozenset())
    assert "nets-answer" not in html and "best-sentence" not in html


def test_an_answer_that_is_one_list_item_reads_as_a_sentence_and_a_lead_in_keeps_its_list():
    text = "You can help by:\n• Avoiding stress\n• Drinking less coffee"
    item = (text.index("• Drinking"), len(text))
    html = cards.card_html(_result(text, best=item), frozenset())
    assert '<div class="nets-answer"><p>Drinking less coffee</p></div>' in html
    html = cards.card_html(_result(text, best=(0, len(text))), frozenset())
    assert ('<div class="nets-answer"><p>You can help by&#58;</p><ul><li>Avoiding stress</li>'
            "<li>Drinking less coffee</li></ul></div>") in html


def test_list_lines_become_real_lists_nested_by_indent_with_text_escaped():
    text = "Lead in:\n• One <b>x</b>\n  • Inner\n• Two\n\n1. First\n2) Second\nAfter"
    html = cards.passage_html(text, frozenset())
    assert html == ("<p>Lead in&#58;</p><ul><li>One &lt;b&gt;x&lt;/b&gt;<ul><li>Inner</li></ul></li><li>Two</li></ul>"
                    "<ol><li>First</li><li>Second</li></ol><p>After</p>")
    assert "•" not in html and "\n" not in html


def test_the_best_sentence_is_emphasised_inside_each_list_item_it_covers():
    text = "Lead in:\n• One\n• Two"
    html = cards.passage_html(text, frozenset(), cards.Span(0, len(text)))
    assert html == ('<p><strong class="best-sentence">Lead in&#58;</strong></p><ul>'
                    '<li><strong class="best-sentence">One</strong></li>'
                    '<li><strong class="best-sentence">Two</strong></li></ul>')


def test_a_table_passage_is_drawn_as_a_table_with_escaped_cells():
    text = "Lead in\nA | B | C\n1 | 2 | <b>3</b>\nafter"
    html = cards.passage_html(text, frozenset({"c"}), cards.Span(text.index("1"), text.index("\nafter")))
    assert html.count("<table>") == 1 and html.count("<th>") == 3 and html.count("<td>") == 3
    assert '<tr class="best-sentence"><td>1</td>' in html and "<th><mark>C</mark></th>" in html
    assert "<td>&lt;b&gt;3&lt;/b&gt;</td>" in html  # cell text stays escaped
    assert html.startswith("<p>Lead in</p>") and html.endswith("</table></div><p>after</p>")
    assert cards.passage_html("one line with a | pipe", frozenset()) == "<p>one line with a &#124; pipe</p>"
    at = ask(new_app().run(), FOODS)
    card = result_cards(at)[0]
    assert "<table>" in card and card.count("<th>") == 3  # the seed page's symptoms table, 3 columns
    assert card.count("<li>") == 4 and "•" not in card  # and its list of ways to avoid symptoms
    assert card.index("nets-answer") < card.index("<table>") and "tryptophan" in card[: card.index("<table>")]


@pytest.mark.parametrize(("urgency", "says", "not_said"), [
    (Urgency(True, "breathing", "trouble breathing", True),
     ['Call <a href="tel:999">999</a> now', "sounds like an emergency&#58; trouble breathing."],
     ["Samaritans", "111"]),
    (Urgency(True, "fever", "a high temperature <b>", False),
     ['Call <a href="tel:111">111</a> or your care team now', "a high temperature &lt;b&gt;.",
      'call <a href="tel:999">999</a>'], ["Samaritans"]),
    (Urgency(True, "self-harm", "thoughts of suicide or self-harm", True),
     ["999", 'Samaritans, free, day or night&#58; call <a href="tel:116123">116 123</a>'], ["111"]),
])
def test_the_emergency_box_says_which_number_to_call_and_why(urgency, says, not_said):
    html = cards.urgent_html(urgency)
    assert html.startswith('<div class="nets-urgent" role="alert"><h2 ')
    for text in says:
        assert text in html
    for text in not_said:
        assert text not in html


def test_the_rest_of_the_section_leaves_out_the_passage_already_shown():
    section = [Passage(f"p{n}", "d", "T", "S", f"Passage number {n}.", n, 0) for n in range(3)]
    html = cards.section_html(section, "p1", frozenset())
    assert "Passage number 0." in html and "Passage number 2." in html
    assert "Passage number 1." not in html and "the passage shown above" in html
    result = Result(rank=1, score=1.0, passage=section[1], retriever_ranks=(("dense", 1), ("lexical", 1)))
    card = cards.card_html(result, frozenset(), None, section)
    assert card.count("Passage number 1.") == 1 and "<details" in card


@pytest.mark.parametrize(("written", "shown_as"), [("2018-09", "September 2018"), ("2024-01-15", "January 2024"),
                                                   ("spring 2020", "spring 2020")])
def test_the_review_date_is_written_in_words(written, shown_as):
    assert cards.reviewed_words(written) == shown_as


def test_a_folded_card_names_the_other_pages_its_text_is_on_once_each():
    """The search folds the same text on sibling pages into one card; the card says where else it is."""
    shown = _result("There are three ways that cancer spreads in the body.")
    copies = (Passage("p2", "pancreas", "Pancreatic <Cancer>", "S", "t", 0, 0, "https://example.org/pancreas"),
              Passage("p3", "merkel", "Merkel Cell Carcinoma", "S", "t", 0, 0, "javascript:alert(1)"),
              Passage("p4", "pancreas", "Pancreatic <Cancer>", "S2", "t", 0, 0, "https://example.org/pancreas"),
              Passage("p5", "d", "T", "S2", "t", 0, 0))  # the card's own page is not "also" on it
    html = cards.card_html(dataclasses.replace(shown, also_on=copies), frozenset())
    link = cards.escape_attribute("https://example.org/pancreas")
    assert (f'<p class="nets-also">Also on: <a href="{link}" target="_blank" rel="noopener noreferrer">'
            'Pancreatic &lt;Cancer&gt;</a>, <cite>Merkel Cell Carcinoma</cite></p>') in html
    assert html.index("nets-source") < html.index("nets-also") < html.index("nets-passage")
    assert "nets-also" not in cards.card_html(shown, frozenset())
