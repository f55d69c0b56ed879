import bm25s
import numpy as np
import pytest

from nets_search.lexical import BM25_SETTINGS, LexicalIndex, analyse

TEXTS = [
    "Carcinoid syndrome can cause diarrhoea and flushing of the face.",
    "Tumours of the oesophagus are rare.",
    "Foods that contain tryptophan include chocolate, cheese and red meat.",
    "Metastasised tumours have spread to the liver.",
    "Exercise and relaxation techniques can help.",
]


def test_scores_match_raw_bm25s_on_the_same_terms():
    """Oracle: our wrapper must rank and score exactly as bm25s does on the same analysed tokens."""
    ours = LexicalIndex.build(TEXTS)
    raw = bm25s.BM25(method="lucene", k1=BM25_SETTINGS.k1, b=BM25_SETTINGS.b)
    raw.index([analyse(t) for t in TEXTS], show_progress=False)
    for query in ["diarrhea flushing", "tumor spread liver", "chocolate"]:
        terms = analyse(query)
        docs, scores = raw.retrieve([terms], k=len(TEXTS), show_progress=False)
        expected = [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
        got = ours.search(terms, k=len(TEXTS))
        assert [d for d, _ in got] == [d for d, _ in expected]
        assert np.allclose([s for _, s in got], [s for _, s in expected])


@pytest.mark.parametrize(
    "query, expected_row",
    [("diarrhea", 0), ("esophagus tumor", 1), ("metastasized", 3), ("relax", 4), ("TRYPTOPHAN!!", 2)],
)
def test_us_spellings_and_word_forms_find_uk_text(query, expected_row):
    assert LexicalIndex.build(TEXTS).search(analyse(query), k=3)[0][0] == expected_row


@pytest.mark.parametrize("query", ["", "the and of", "zzzz qqqq", "!!! ???", "🙂🙂"])
def test_questions_with_no_known_terms_return_nothing(query):
    assert LexicalIndex.build(TEXTS).search(analyse(query), k=3) == []


def test_saved_index_loads_and_answers_the_same(tmp_path):
    index = LexicalIndex.build(TEXTS)
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path, len(TEXTS))
    assert loaded.search(analyse("cheese"), k=2) == index.search(analyse("cheese"), k=2)
    assert not list(tmp_path.glob("*.pkl"))
