import pytest

from nets_search.text import fold_spelling, normalise_unicode, sentence_spans, sentences, word_count


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
