import dataclasses

import pytest

from nets_search.build.build import build_index
from nets_search.errors import QueryError
from nets_search.search.fusion import reciprocal_rank_fusion
from nets_search.index.lexical import Bm25Settings, LexicalIndex, analyse, lexical_document
from nets_search.search.query import MAX_QUESTION_CHARS, prepare_question
from nets_search.search.searcher import Searcher

from ..conftest import page

# Lay questions about corpus/nets-key-facts.md, each with a phrase the answering passage holds.
NETS_QUESTIONS = [
    ("which foods should I avoid?", "tryptophan"),
    ("why does my face go red and hot", "flushing"),
    ("is a NET always cancer", "benign"),
    ("what does carcinoid mean, is it an old name", "older term"),
    ("could my symptoms be mistaken for IBS", "misdiagnosed"),
    ("can a biopsy be dangerous with carcinoid syndrome", "Carcinoid crisis may be triggered"),
    ("tumours that dont make hormones", "non-functioning tumours"),
]


@pytest.mark.parametrize("question, phrase", NETS_QUESTIONS)
def test_nets_questions_get_the_answering_passage_first(seed_searcher, question, phrase):
    top = seed_searcher.search(question, k=3).results[0]
    assert phrase in top.passage.text


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_every_mode_returns_well_formed_ranked_results(seed_searcher, mode):
    response = seed_searcher.search("carcinoid syndrome diarrhoea", k=4, mode=mode)
    assert [r.rank for r in response.results] == list(range(1, len(response.results) + 1))
    scores = [r.score for r in response.results]
    assert scores == sorted(scores, reverse=True) and len(scores) <= 4
    assert len({r.passage.passage_id for r in response.results}) == len(scores)


def test_hybrid_results_keep_each_retrievers_rank(seed_searcher):
    (result,) = seed_searcher.search("tryptophan chocolate cheese", k=1).results
    assert result.dense_rank is not None and result.lexical_rank == 1


def test_search_is_deterministic(seed_searcher):
    first = seed_searcher.search("hormones released by GI NETs", k=5)
    second = seed_searcher.search("hormones released by GI NETs", k=5)
    assert [(r.passage.passage_id, r.score) for r in first.results] == [
        (r.passage.passage_id, r.score) for r in second.results
    ]


@pytest.mark.parametrize("question", ["", "   ", "\x00\x01"])
def test_empty_questions_are_refused_with_a_clear_message(seed_searcher, question):
    with pytest.raises(QueryError, match="the question is empty"):
        seed_searcher.search(question)


def test_long_questions_are_searched_on_a_prefix(seed_searcher):
    letter = "My consultant wrote that I have carcinoid syndrome and I get flushing. " * 400
    response = seed_searcher.search(letter, k=2)
    assert response.truncated and len(response.searched_text) <= MAX_QUESTION_CHARS
    assert response.results


def test_prepare_question_cuts_at_a_word_boundary():
    text, truncated = prepare_question("word " * 1000)
    assert truncated and text.endswith("word") and len(text) <= MAX_QUESTION_CHARS


def test_neighbours_are_the_section_in_reading_order(seed_searcher):
    result = seed_searcher.search("untreated carcinoid syndrome dehydration", k=1).results[0]
    around = seed_searcher.neighbours(result.passage.passage_id)
    assert result.passage in around
    assert {p.section for p in around} == {result.passage.section}
    assert [p.position for p in around] == sorted(p.position for p in around)
    assert seed_searcher.neighbours("no-such-id") == []


def test_searcher_notices_a_new_version_on_disk(make_corpus, tmp_path, encoder):
    corpus = make_corpus({"a.md": page("A", ("One", "Flushing of the face. " * 5))})
    build_index(corpus, tmp_path / "index", encoder=encoder)
    searcher = Searcher(tmp_path / "index", encoder=encoder)
    assert not searcher.is_stale()
    (corpus / "b.md").write_text("A second page about sleep.")
    build_index(corpus, tmp_path / "index", encoder=encoder)
    assert searcher.is_stale()


@pytest.mark.parametrize(
    "rankings, weights, expected",
    [
        # both lists agree on 1 first: 1/(60+1) + 1/(60+1) beats everything
        ({"a": [1, 2, 3], "b": [1, 3]}, {}, [1, 3, 2]),
        # 3 is in both lists: 1/63 + 1/62 = 0.03200 beats 1 and 4 (1/61 = 0.01639 each, tie broken by id)
        ({"a": [1, 2, 3], "b": [4, 3]}, {}, [3, 1, 4, 2]),
        # weighting b by 3 puts its first item on top: 3/61 > 1/61 + ...
        ({"a": [1, 2], "b": [2, 5]}, {"b": 3.0}, [2, 5, 1]),
        ({"a": [], "b": []}, {}, []),
    ],
)
def test_reciprocal_rank_fusion_orders_by_summed_reciprocal_ranks(rankings, weights, expected):
    assert [item for item, _ in reciprocal_rank_fusion(rankings, weights, k=60)] == expected


@pytest.mark.parametrize("setting", ["dense_weight", "lexical_weight", "sentence_weight", "expansion_weight",
                                     "sentence_words_weight", "quantity_weight"])
def test_a_negative_fusion_weight_is_refused(setting):
    from nets_search.search.fusion import FusionSettings

    with pytest.raises(ValueError, match=f"{setting} must be 0 or more"):
        FusionSettings(**{setting: -0.1})
    assert getattr(FusionSettings(**{setting: 0.0}), setting) == 0.0


def test_reciprocal_rank_fusion_score_is_the_hand_computed_sum():
    fused = dict(reciprocal_rank_fusion({"a": [7, 8], "b": [8]}, {}, k=60))
    assert fused[8] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[7] == pytest.approx(1 / 61)


# --------------------------------------------------------------------------- query expansion and missing words

GENERIC = "Neuroendocrine tumours grow from neuroendocrine cells. Neuroendocrine tumours can appear in many organs."
EXPANSION_PAGES = {
    "glossary.yaml": "net: neuroendocrine tumour\nnets: neuroendocrine tumours\n",
    "about.md": page(
        "About neuroendocrine tumours",
        ("What they are", GENERIC),
        ("Where they grow", "Neuroendocrine tumours are found in the bowel, the pancreas and the lungs."),
        ("Who gets them", "Neuroendocrine tumours are found in adults of any age, more often after fifty."),
        ("Hormone-free tumours", "Some neuroendocrine tumours do not release any hormones; they are called "
                                 "non-functioning tumours."),
    ),
}


@pytest.fixture(scope="module")
def expansion_searcher(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("expansion")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in EXPANSION_PAGES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, root / "index", encoder=encoder)
    return Searcher(root / "index", encoder=encoder)


def test_an_expansion_every_passage_contains_is_dropped(expansion_searcher):
    response = expansion_searcher.search("a NET that does not make hormones", k=4)
    assert response.expansions == ()  # "neuroendocrine tumour" is in every passage: it says nothing
    assert "non-functioning" in response.results[0].passage.text


@pytest.mark.parametrize("weight", [0.3, 1.0])
def test_an_expansion_cannot_pull_the_generic_passage_above_the_specific_one(expansion_searcher, weight):
    from dataclasses import replace

    before = expansion_searcher.fusion
    expansion_searcher.fusion = replace(before, expansion_weight=weight)
    try:
        top = expansion_searcher.search("NET that does not release any hormones", k=4).results[0]
    finally:
        expansion_searcher.fusion = before  # the module's other tests search with the settings it was made with
    assert "non-functioning" in top.passage.text


@pytest.mark.parametrize(
    "question, missing",
    [
        ("side effects of lanreotide", "lanreotide"),
        ("what are the signs of a stroke", "stroke"),
        ("early signs of type 2 diabetes", "diabetes"),
    ],
)
def test_a_key_word_no_page_contains_means_no_good_match(seed_searcher, question, missing):
    response = seed_searcher.search(question)
    assert missing in response.missing_terms and response.no_good_match


def test_words_our_pages_lack_are_weighed_together(seed_searcher):
    """Neither "warning" nor the everyday "attack" carries the question alone; without both it is no longer about a
    heart attack, which our pages do not cover."""
    prepared = seed_searcher.query_analyser.prepare("warning signs of a heart attack", repair=True)
    assert prepared.uncovered == ("warning", "attack") and prepared.missing == ()  # both everyday: named neither
    assert seed_searcher.search("warning signs of a heart attack").no_good_match


def test_a_question_not_covered_names_its_rarest_missing_words_and_no_more_than_three(seed_searcher):
    response = seed_searcher.search("quantum chromodynamics renormalisation eigenvalue hamiltonian")
    assert response.no_good_match and len(response.missing_terms) == 3
    assert set(response.missing_terms) <= {"chromodynamics", "renormalisation", "eigenvalue", "hamiltonian"}
    assert "chromodynamics" in response.missing_terms  # "quantum" is common English: never named
    assert seed_searcher.search("which foods should I avoid").missing_terms == ()  # covered: nothing named


def test_a_word_our_pages_hold_in_a_derived_form_is_covered(seed_searcher):
    prepared = seed_searcher.query_analyser.prepare("out of breath", repair=True)  # the pages say "breathlessness"
    assert "breath" in prepared.covered and "breath" not in prepared.uncovered
    prepared = seed_searcher.query_analyser.prepare("can I go to a party", repair=False)  # the pages say "particular": unrelated
    assert "party" in prepared.uncovered


def test_a_word_with_an_apostrophe_is_weighed_and_named_as_typed(seed_searcher):
    prepared = seed_searcher.query_analyser.prepare("Parkinson's disease", repair=False)
    assert prepared.uncovered == ("parkinson's",)
    response = seed_searcher.search("Parkinson's disease", repair=False)
    assert response.evidence.key_gap > 0.1 and response.no_good_match
    assert response.missing_terms == ("parkinson's",)


@pytest.mark.parametrize("question", ["can I have a glass of wine", "can I still have a beer", "my heart races",
                                      "runny poo", "runny poo at night", "I keep getting out of breath and wheezy"])
def test_covered_questions_in_lay_words_are_not_flagged(seed_searcher, question):
    response = seed_searcher.search(question)
    assert response.missing_terms == () and not response.no_good_match


@pytest.mark.parametrize(
    "question, phrase",
    [
        ("how many people get carcinoid syndrome", "approximately 10%"),
        ("is it cancer", "NETs can be malignant"),
        ("what happens if carcinoid syndrome is left untreated", "vitamin deficiencies"),
        # the nearest sentence names the cells; the one after it, "These cells release hormones", says what they do
        ("what job do neuroendocrine cells have in the body", "release hormones"),
    ],
)
def test_the_best_sentence_is_the_one_that_answers(seed_searcher, question, phrase):
    top = seed_searcher.search(question).results[0]
    start, end = top.best_sentence
    assert phrase in top.passage.text[start:end]


@pytest.mark.parametrize("quantity_weight, gives_number", [(0.0, False), (5.0, True)])
def test_a_question_asking_how_common_is_answered_by_a_sentence_giving_a_number(seed_index, encoder, quantity_weight,
                                                                                 gives_number):
    from nets_search.search.fusion import FusionSettings
    from nets_search.text import holds_quantity

    searcher = Searcher(seed_index, encoder=encoder,
                        fusion=dataclasses.replace(FusionSettings(), quantity_weight=quantity_weight))
    top = searcher.search("how common are the symptoms of carcinoid syndrome").results[0]
    bold = top.passage.text[slice(*top.best_sentence)]
    assert holds_quantity(bold) is gives_number  # the weight reaches the choice only through the question's kind
    unasked = searcher.search("what are the symptoms of carcinoid syndrome").results[0]
    assert not holds_quantity(unasked.passage.text[slice(*unasked.best_sentence)])


def test_real_words_are_never_repaired(seed_searcher):
    response = seed_searcher.search("runny poo")
    assert response.corrections == () and response.searched_text == "runny poo"
    assert seed_searcher.search("diarea at night").corrections == (("diarea", "diarrhoea"),)
    assert seed_searcher.search("diarea at night", repair=False).searched_text == "diarea at night"


class CountingEncoder:
    """The real encoder, with a count of the texts it is asked to encode."""

    def __init__(self, encoder) -> None:
        self.encoder, self.texts = encoder, []
        self.backend = encoder.backend

    def encode_queries(self, texts):
        self.texts.extend(texts)
        return self.encoder.encode_queries(texts)

    def sharing(self):
        return self.encoder.sharing()


def test_a_glossary_expansion_is_encoded_once_and_a_repeated_question_not_at_all(seed_index, encoder, monkeypatch):
    monkeypatch.setenv("NETS_SEARCH_QUERY_CACHE", "8")
    counting = CountingEncoder(encoder)
    searcher = Searcher(seed_index, encoder=counting)
    first = searcher.search("my face goes red")
    expansions = list(first.expansions)
    assert expansions, "the seed glossary expands 'face goes red'"
    assert set(expansions) <= set(counting.texts)
    counting.texts.clear()
    searcher.search("my face goes red and hot")  # a new question, the same expansion
    assert counting.texts == ["my face goes red and hot"]
    counting.texts.clear()
    again = searcher.search("my face goes red")
    assert counting.texts == []
    assert [r.passage.passage_id for r in again.results] == [r.passage.passage_id for r in first.results]


def test_a_question_with_words_our_pages_lack_costs_one_extra_encode_and_none_when_repeated(seed_index, encoder,
                                                                                            monkeypatch):
    monkeypatch.setenv("NETS_SEARCH_QUERY_CACHE", "8")
    counting = CountingEncoder(encoder)
    searcher = Searcher(seed_index, encoder=counting)
    first = searcher.search("quantum chromodynamics of carcinoid syndrome")
    assert sorted(counting.texts) == ["of carcinoid syndrome", "quantum chromodynamics of carcinoid syndrome"]
    counting.texts.clear()
    again = searcher.search("quantum chromodynamics of carcinoid syndrome")
    assert counting.texts == [] and again.evidence == first.evidence and again.no_good_match == first.no_good_match


def test_the_recent_question_cache_can_be_switched_off(seed_index, encoder, monkeypatch):
    monkeypatch.setenv("NETS_SEARCH_QUERY_CACHE", "0")
    counting = CountingEncoder(encoder)
    searcher = Searcher(seed_index, encoder=counting)
    for _ in range(2):
        searcher.search("what is carcinoid syndrome")
    assert counting.texts.count("what is carcinoid syndrome") == 2


def test_another_bm25_over_the_same_passages_can_be_swapped_in(seed_index, encoder):
    """How benchmarks/quality.py --bm25-grid tries BM25 settings without a build for each."""
    searcher = Searcher(seed_index, encoder=encoder)
    settings = Bm25Settings(k1=1.5, b=0.75, heading_repeat=1)
    documents = [analyse(lexical_document(p, settings)) for p in searcher.passages]
    swapped = LexicalIndex.from_terms(documents, settings)
    searcher.use_lexical(swapped)
    response = searcher.search("tryptophan chocolate cheese", k=8, mode="lexical", repair=False)
    assert response.expansions == ()
    expected = [(searcher.passages[row].passage_id, round(score, 4))
                for row, score in swapped.search(analyse(response.searched_text), 8)]
    assert [(r.passage.passage_id, round(r.score, 4)) for r in response.results] == expected and expected
    with pytest.raises(ValueError, match="2 documents"):
        searcher.use_lexical(LexicalIndex.from_terms(documents[:2], settings))
    with pytest.raises(ValueError, match="other terms"):
        searcher.use_lexical(LexicalIndex.from_terms([terms[:1] for terms in documents], settings))


def test_a_bm25_rebuilt_in_memory_with_the_shipped_settings_answers_as_the_built_one(seed_index, encoder):
    """The BM25 grid's figures stand for real builds: swapping in a BM25 made from the passages with the shipped
    settings changes no score."""
    from nets_search.index.lexical import BM25_SETTINGS

    built = Searcher(seed_index, encoder=encoder)
    swapped = Searcher(seed_index, encoder=encoder)
    documents = [analyse(lexical_document(p, BM25_SETTINGS)) for p in swapped.passages]
    swapped.use_lexical(LexicalIndex.from_terms(documents, BM25_SETTINGS))
    for question in ("foods to avoid with carcinoid syndrome", "why does my face go red", "tumour spread to liver"):
        ours = [(r.passage.passage_id, round(r.score, 5)) for r in swapped.search(question, k=8, mode="lexical").results]
        assert ours == [(r.passage.passage_id, round(r.score, 5))
                        for r in built.search(question, k=8, mode="lexical").results] and ours


@pytest.mark.parametrize("question", ["what does benign mean", "does exercise help", "my husband was told it is a NET"])
def test_everyday_words_are_not_named_as_topics_our_pages_lack(seed_searcher, question):
    prepared = seed_searcher.query_analyser.prepare(question, repair=True)
    assert not set(prepared.missing) & {"mean", "help", "husband", "told"}


EVERYDAY_MISSING = ("breathe", "properly", "jab", "runny", "stairs")


@pytest.mark.parametrize(("question", "topic"), [
    ("my dad is flushing and cant breathe properly", None),
    ("is it safe to have my flu jab", None),
    ("can i get my jab if i have a runny nose", None),
    ("why do i get out of breath on the stairs", None),
    ("runny nose and cant breathe properly on the stairs after my jab, is that diabetes", "diabetes"),
    ("do I have asthma or do I just not breathe properly", "asthma"),
])
def test_everyday_words_are_never_named_as_missing_but_a_topic_our_pages_lack_is(seed_searcher, question, topic):
    """Naming is for topics ("Our information does not mention “diabetes”"), never for everyday wording, however
    rare in print ("runny", "jab"); and naming decides nothing: the evidence weighs every uncovered word."""
    prepared = seed_searcher.query_analyser.prepare(question, repair=True)
    response = seed_searcher.search(question)
    named = set(response.missing_terms) | set(response.to_dict().get("missing_terms", []))
    assert not named & set(EVERYDAY_MISSING) and not set(prepared.missing) & set(EVERYDAY_MISSING)
    if topic:
        assert response.no_good_match and topic in response.missing_terms
    assert set(prepared.uncovered) >= {w for w in EVERYDAY_MISSING if w in question.split()} - {"breathe"}


def test_a_contraction_is_never_named_but_a_possessive_topic_is(seed_searcher):
    prepared = seed_searcher.query_analyser.prepare("you're sure we'll not need parkinson's tablets", repair=False)
    assert "parkinson's" in prepared.missing and not {"you're", "we'll"} & set(prepared.missing)
