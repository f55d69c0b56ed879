import hashlib
import os

import pytest

from nets_search.text import (fold_spelling, holds_quantity, normalise_unicode, refers_back, sentence_spans, sentences,
                              sha256_text, word_count)


@pytest.mark.parametrize(
    "uk, us",
    [
        ("tumour", "tumor"),
        ("tumours", "tumors"),
        ("diarrhoea", "diarrhea"),
        ("oesophagus", "esophagus"),
        ("oestrogen", "estrogen"),
        ("metastasised", "metastasized"),
        ("anaemia", "anemia"),
        ("haemorrhage", "hemorrhage"),
        ("paediatric", "pediatric"),
        ("centre", "center"),
        ("behaviour", "behavior"),
        ("organisation", "organization"),
        ("analysed", "analyzed"),
    ],
)
def test_uk_and_us_spellings_fold_together(uk, us):
    assert fold_spelling(uk) == fold_spelling(us)


@pytest.mark.parametrize("word", ["four", "your", "hour", "does", "shoe", "size", "rise", "flour"])
def test_short_common_words_are_not_folded_into_others(word):
    assert fold_spelling(word) == word


def test_sentences_respect_abbreviations_and_list_items():
    text = "Avoid foods (e.g. chocolate, milk). Dr Khan explains it.\n• Stomach\n• Bowel\nIs it 10%? Yes."
    assert sentences(text) == [
        "Avoid foods (e.g. chocolate, milk).",
        "Dr Khan explains it.",
        "• Stomach",
        "• Bowel",
        "Is it 10%?",
        "Yes.",
    ]


def test_sentence_spans_index_the_original_text():
    text = "  First one.  Second one!  "
    assert [text[a:b] for a, b in sentence_spans(text)] == ["First one.", "Second one!"]


def test_normalise_unicode_drops_control_characters_and_straightens_quotes():
    assert normalise_unicode("don’t\x00 \x07stop\nnow") == "don't stop\nnow"


def test_word_count_counts_words_not_punctuation():
    assert word_count("NETs – (benign) or malignant?") == 4


@pytest.mark.parametrize("sentence, expected", [
    ("These cells release hormones into your body.", True),
    ("This is an older term that is sometimes still used.", True),
    ("• They may also feel tired.", True),
    ("It can take years to be diagnosed.", True),
    ("Thessaly is a region of Greece.", False),  # a word that only starts like one
    ("The disease is metastatic.", False),
    ("Many people still refer to NETs as carcinoid tumours.", False),
])
def test_a_sentence_that_points_back_is_recognised(sentence, expected):
    assert refers_back(sentence) is expected


@pytest.mark.parametrize("sentence, expected", [
    ("MEN1 affects about 1 in 30,000 people.", True),
    ("Approximately 10% of people with NETs develop it.", True),
    ("Most of them occur in the small intestine.", True),
    ("It is a rare disease.", True),
    ("Some people may feel tired.", False),
    ("Someone with a rarefied diet.", False),
    ("MEN1 is inherited; 5-HIAA and Ga-68 scans help.", False),  # digits inside names are no number
    ("Type 2 is rarer.", True),
])
def test_a_sentence_that_gives_a_number_or_share_is_recognised(sentence, expected):
    assert holds_quantity(sentence) is expected


def test_sha256_text_takes_a_file_name_that_is_not_utf8():
    """Such a name reaches Python with lone surrogates: hashing it once ended a build in a UnicodeEncodeError."""
    latin1, other = os.fsdecode(b"caf\xe9.md"), os.fsdecode(b"caf\xea.md")
    assert sha256_text(latin1) != sha256_text(other) and sha256_text("\ud800") != sha256_text("\udfff")
    assert sha256_text("café.md", "x") == hashlib.sha256("café.md".encode() + b"\x1f" + b"x\x1f").hexdigest()
