import os

import pytest

from nets_search.errors import CorpusError
from nets_search.corpus.glossary import Glossary
from nets_search.search.query import QueryNormaliser, asks_quantity

from ..corpus.test_pages import BOMB

PASSAGES = ["Carcinoid syndrome causes diarrhoea and flushing.", "Foods with tryptophan include chocolate."]
KNOWN = frozenset({"bake", "bread", "train", "times", "what", "is", "the"})


@pytest.fixture
def normaliser():
    glossary = Glossary((("tummy", "stomach"), ("the runs", "diarrhoea"), ("red face", "flushing")))
    return QueryNormaliser(PASSAGES, glossary, KNOWN)


@pytest.mark.parametrize(
    "question, corrections",
    [
        ("carcinoud syndrom", (("carcinoud", "carcinoid"), ("syndrom", "syndrome"))),
        ("diarea", (("diarea", "diarrhoea"),)),
        ("tryptofan foods", (("tryptofan", "tryptophan"),)),
        ("bake bread", ()),  # real words the corpus lacks are left alone
        ("xylophone", ()),  # nothing close enough
    ],
)
def test_typos_are_repaired_against_the_corpus_words(normaliser, question, corrections):
    assert normaliser.normalise(question).corrections == corrections


def test_a_typo_of_a_glossary_word_is_repaired_so_its_entry_applies(normaliser):
    query = normaliser.normalise("tumy ache")  # "tummy" is in no page, only in the glossary
    assert query.corrections == (("tumy", "tummy"),)
    assert query.expansions == ("stomach",)


def test_a_glossary_word_typed_as_it_is_is_never_repaired(normaliser):
    assert normaliser.normalise("tummy").corrections == ()


@pytest.mark.parametrize("entry, question, corrections", [
    (("racing", "palpitations"), "heart racng", (("racng", "racing"),)),
    (("heart racing", "palpitations"), "heart racng", ()),  # a word of a longer entry is no repair target
    (("diet", "foods"), "loeys diett", ()),  # nor a short one: a name is no typo of it
])
def test_only_one_word_glossary_entries_are_repair_targets(entry, question, corrections):
    normaliser = QueryNormaliser(PASSAGES, Glossary((entry,)), KNOWN)
    assert normaliser.normalise(question).corrections == corrections


def test_corrected_words_replace_the_typo_in_the_searched_text(normaliser):
    assert normaliser.normalise("Diarea at night").text == "diarrhoea at night"


@pytest.mark.parametrize(
    "question, expansions",
    [
        ("my tummy hurts", ("stomach",)),
        ("I have THE RUNS and a red face", ("diarrhoea", "flushing")),
        ("tummyache", ()),  # whole words only
        ("runs in the family", ()),
    ],
)
def test_glossary_terms_add_our_words_and_keep_the_question(normaliser, question, expansions):
    query = normaliser.normalise(question)
    assert query.expansions == expansions
    assert query.text.startswith(question)


def test_glossary_file_loads_lists_and_rejects_bad_lines(tmp_path):
    path = tmp_path / "glossary.yaml"
    path.write_text("Tummy: stomach\nthe runs: [diarrhoea, loose stools]\n")
    assert Glossary.load(path).to_dict() == {"the runs": "diarrhoea loose stools", "tummy": "stomach"}
    path.write_text("tummy:\n")
    with pytest.raises(CorpusError, match="glossary.yaml: the entry 'tummy' has an empty side"):
        Glossary.load(path)
    path.write_text("- just\n- a list\n")
    with pytest.raises(CorpusError, match="glossary.yaml"):
        Glossary.load(path)
    assert Glossary.load(tmp_path / "absent.yaml").entries == ()


def _link_out(path, tmp_path):
    (tmp_path / "elsewhere.yaml").write_text("tummy: stomach\n", encoding="utf-8")
    os.symlink("../elsewhere.yaml", path)


@pytest.mark.parametrize("make, message", [
    (lambda path, tmp_path: path.write_text(BOMB), "glossary.yaml: line 1 uses a YAML anchor or alias"),
    (lambda path, tmp_path: path.write_text("tummy: stomach\nrunny: *x\n"), "glossary.yaml: line 2 uses a YAML anchor"),
    (lambda path, tmp_path: path.write_text("tummy: [stomach\n"), "glossary.yaml: not a valid glossary"),
    (_link_out, "glossary.yaml: a link to a file outside the corpus folder"),
    (lambda path, tmp_path: os.mkfifo(path), "glossary.yaml: a named pipe, not a regular file"),
    (lambda path, tmp_path: os.symlink("missing.yaml", path), "glossary.yaml: a link that leads nowhere"),
], ids=["billion-laughs", "alias", "malformed", "link-out", "fifo", "dangling-link"])
def test_a_hostile_glossary_is_refused_in_one_line_without_reading_beyond_it(tmp_path, make, message):
    folder = tmp_path / "corpus"
    folder.mkdir()
    make(folder / "glossary.yaml", tmp_path)
    with pytest.raises(CorpusError) as caught:
        Glossary.load(folder / "glossary.yaml")
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("typed", "written"), [("doesnt", "doesn't"), ("dont", "don't"), ("wont", "won't"),
                                                ("thats", "that's"), ("didnt", "didn't")])
def test_a_contraction_typed_without_its_apostrophe_is_an_everyday_word_not_a_topic(typed, written):
    from nets_search.search.query import everyday_words

    assert written in everyday_words() and typed in everyday_words()  # questions are checked without apostrophes


@pytest.mark.parametrize("question, expected", [
    ("how common is MEN1", True),
    ("How many people get carcinoid syndrome?", True),
    ("at what age do people get paraganglioma", True),
    ("what are the chances it comes back", True),
    ("How   commonly does it spread", True),
    ("is there a chance I have it", False),  # a yes/no question, not one asking for a number
    ("how do doctors find a NET", False),
    ("what is a carcinoid tumour", False),
])
def test_a_question_answered_with_a_number_is_recognised(question, expected):
    assert asks_quantity(question) is expected
