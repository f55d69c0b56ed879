"""search/folding.py: the same text on several pages is one card that names the other pages; different content,
however much boilerplate it shares, is never folded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from nets_search.search import folding
from nets_search.search.folding import fold, near_identical
from nets_search.types import Passage, Result

SPREAD = ("There are three ways that {name} spreads in the body. {name} can spread through tissue, the lymph system, "
          "and the blood. When {name} spreads to another part of the body, it is called metastasis.")
HPO = ("The Human Phenotype Ontology provides the following list of signs and symptoms for {name}. If the information "
       "is available, the table below includes how often the symptom is seen in people with this condition. {extra}")
INHERIT = ("{name} is inherited in an autosomal {how} manner. This means that to be affected, a person only needs a "
           "change (mutation) in one copy of the responsible gene in each cell.")


def passage(doc: str, title: str, text: str, pid: str | None = None) -> Passage:
    return Passage(passage_id=pid or doc, doc_id=doc, title=title, section="", text=text, position=0,
                   section_index=0)


def test_the_same_text_on_sibling_pages_is_near_identical_even_with_each_pages_name() -> None:
    merkel = passage("merkel", "Merkel Cell Carcinoma", SPREAD.format(name="Merkel cell carcinoma"))
    small = passage("small", "Small Intestine Cancer", SPREAD.format(name="Small intestine cancer"))
    assert near_identical(merkel, small)
    assert near_identical(merkel, passage("copy", "Another page", merkel.text))


def test_passages_sharing_boilerplate_but_saying_different_things_are_not_folded() -> None:
    """The GARD paragraph is the same on eight pages; the symptoms listed after it are not."""
    a = passage("insulinoma", "Insulinoma", HPO.format(name="Insulinoma", extra="Hypoglycemia. Somatic mutation."))
    b = passage("men1", "Multiple endocrine neoplasia type 1", HPO.format(name="Multiple endocrine neoplasia type 1",
                                                                           extra="Hypoglycemia."))
    assert not near_identical(a, b)
    dominant = passage("x", "Condition X", INHERIT.format(name="Condition X", how="dominant"))
    recessive = passage("y", "Condition Y", INHERIT.format(name="Condition Y", how="recessive"))
    assert not near_identical(dominant, recessive)


def test_a_passage_inside_a_longer_one_is_not_folded_into_it() -> None:
    """Token-set similarity alone scores a subset as 100: the longer passage says more."""
    short = passage("a", "Page A", "Surgery is the main treatment.")
    longer = passage("b", "Page B", "Surgery is the main treatment. Octreotide injections control the flushing.")
    assert not near_identical(short, longer)
    assert not near_identical(passage("c", "Merkel cell carcinoma", "Merkel cell carcinoma."),
                              passage("d", "Small intestine cancer", "Small intestine cancer."))


def test_fold_keeps_k_distinct_cards_and_names_the_other_pages() -> None:
    spread = [passage(doc, doc.title(), SPREAD.format(name=doc.title()), pid=f"{doc}-spread")
              for doc in ("merkel", "pancreas", "small")]
    other = [passage(f"page{i}", f"Page {i}", f"An answer about {topic}.")
             for i, topic in enumerate(("octreotide", "diet", "surgery", "scans"))]
    ranked = [spread[0], spread[1], other[0], spread[2], other[1], other[2], other[3]]
    cards = fold(ranked, 3, lambda p: p)
    assert [card.shown for card in cards] == [spread[0], other[0], other[1]]
    assert cards[0].also == (spread[1], spread[2])
    assert all(card.also == () for card in cards[1:])


def test_a_duplicate_on_the_same_page_is_not_folded_and_lookahead_only_joins_cards() -> None:
    text = SPREAD.format(name="the tumour")
    same_page = [passage("p", "Page", text, pid="p1"), passage("p", "Page", text, pid="p2")]
    assert [card.shown for card in fold(same_page, 5, lambda p: p)] == same_page
    far = [passage(f"d{i}", f"D{i}", f"An answer about {topic}.") for i, topic in enumerate(("lanreotide", "PRRT"))]
    late_copy = passage("copy", "Copy page", far[0].text)
    filler = [passage(f"f{i}", f"F{i}", f"Filler on {'flushing ' * (i + 1)}.") for i in range(folding.LOOKAHEAD + 1)]
    cards = fold([*far, *filler, late_copy], 2, lambda p: p)
    assert [card.shown for card in cards] == far and cards[0].also == ()  # read past the lookahead: not joined
    cards = fold([*far, late_copy], 2, lambda p: p)
    assert cards[0].also == (late_copy,)


def test_a_folded_card_carries_its_other_pages_in_json() -> None:
    shown, copy = passage("a", "Page A", "Text."), passage("b", "Page B", "Text.", pid="b-1")
    assert "also_on" not in Result(rank=1, score=1.0, passage=shown).to_dict()
    out = Result(rank=1, score=1.0, passage=shown, also_on=(copy,)).to_dict()
    assert out["also_on"] == [{"title": "Page B", "doc_id": "b", "section": "", "passage_id": "b-1"}]


_WORDS = ["cancer", "cancers", "tumor", "tumors", "spreads", "the", "blood", "merkel", "cell", "carcinoma", "gene",
          "dominant", "recessive", "may", "in", "body"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12), st.lists(st.sampled_from(_WORDS), max_size=4),
       st.lists(st.sampled_from(_WORDS), max_size=4), st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3),
       st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3))
def test_the_quick_rejection_never_changes_the_verdict(shared, only_a, only_b, title_a, title_b) -> None:
    """near_identical rejects a pair on a word only one of them has before comparing the whole texts; its verdict
    must be the one of the full definition (near-identical token sets, and word for word equal without the names)."""
    a = passage("a", " ".join(title_a), " ".join(shared + only_a))
    b = passage("b", " ".join(title_b), " ".join(only_b + shared))
    names = folding._name_words(a.title) | folding._name_words(b.title)
    full = (fuzz.token_set_ratio(a.text, b.text) >= folding.SIMILAR
            and [w for w in a.text.split() if w not in names] == [w for w in b.text.split() if w not in names])
    assert near_identical(a, b) == full
