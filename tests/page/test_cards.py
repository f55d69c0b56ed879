"""Result cards: strength labels, tables drawn from passages, the rest of a section, review dates in words."""

from __future__ import annotations

import pytest

from nets_search.page import cards
from nets_search.search.labels import strength_of
from nets_search.types import Passage, Result

from .conftest import FOODS, ask, new_app, result_cards

pytestmark = pytest.mark.usefixtures("page_env")


@pytest.mark.parametrize(
    ("dense", "lexical", "no_good_match", "tentative", "label"),
    [
        (1, 1, False, False, "Strong match"),
        (2, 2, False, False, "Strong match"),
        (3, 1, False, False, "Good match"),
        (10, 10, False, False, "Good match"),
        (1, None, False, False, "Related"),
        (11, 1, False, False, "Related"),
        (1, 1, True, False, "Weak match"),
        (1, 1, False, True, "Related"),  # the engine is not sure our pages cover the question
        (3, 1, False, True, "Related"),
    ],
)
def test_strength_labels_come_from_retriever_agreement_capped_by_confidence(dense, lexical, no_good_match, tentative,
                                                                           label):
    passage = Passage("p", "d", "T", "S", "text", 0, 0)
    result = Result(rank=1, score=0.03, passage=passage, retriever_ranks=(("dense", dense), ("lexical", lexical)))
    assert strength_of(result, no_good_match, tentative).label == label
    html = cards.card_html(result, frozenset(), no_good_match, tentative=tentative)
    assert f">{label}</p>" in html


def test_a_table_passage_is_drawn_as_a_table_with_escaped_cells():
    from nets_search.page.highlight import highlight

    text = "Lead in\nA | B | C\n1 | 2 | <b>3</b>\nafter"
    html = cards.with_tables(highlight(text, frozenset({"c"}), best_sentence=(text.index("1"), text.index("\nafter"))))
    assert html.count("<table>") == 1 and html.count("<th>") == 3 and html.count("<td>") == 3
    assert '<tr class="best-sentence"><td>1</td>' in html and "<th><mark>C</mark></th>" in html
    assert "<td>&lt;b&gt;3&lt;/b&gt;</td>" in html  # cell text stays escaped
    assert html.startswith("Lead in<br>") and html.endswith("</table></div>after")  # no blank line after a table
    lone = highlight("one line with a | pipe", frozenset())
    assert cards.with_tables(lone) == lone  # a lone line is no table
    at = ask(new_app().run(), FOODS)
    card = result_cards(at)[0]
    assert "<table>" in card and card.count("<th>") == 3  # the seed page's symptoms table, 3 columns


def test_the_rest_of_the_section_leaves_out_the_passage_already_shown():
    section = [Passage(f"p{n}", "d", "T", "S", f"Passage number {n}.", n, 0) for n in range(3)]
    html = cards.section_html(section, "p1", frozenset())
    assert "Passage number 0." in html and "Passage number 2." in html
    assert "Passage number 1." not in html and "the passage shown above" in html
    result = Result(rank=1, score=1.0, passage=section[1], retriever_ranks=(("dense", 1), ("lexical", 1)))
    card = cards.card_html(result, frozenset(), False, None, section)
    assert card.count("Passage number 1.") == 1 and "<details" in card


@pytest.mark.parametrize(("written", "shown_as"), [("2018-09", "September 2018"), ("2024-01-15", "January 2024"),
                                                   ("spring 2020", "spring 2020")])
def test_the_review_date_is_written_in_words(written, shown_as):
    assert cards.reviewed_words(written) == shown_as
