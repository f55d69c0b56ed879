import bm25s
import numpy as np
import pytest

from nets_search.index.lexical import BM25_SETTINGS, Bm25Settings, LexicalIndex, analyse, lexical_document
from nets_search.types import Passage

TEXTS = [
    "Carcinoid syndrome can cause diarrhoea and flushing of the face.",
    "Tumours of the oesophagus are rare.",
    "Foods that contain tryptophan include chocolate, cheese and red meat.",
    "Metastasised tumours have spread to the liver.",
    "Exercise and relaxation techniques can help.",
]


@pytest.mark.parametrize("settings", [BM25_SETTINGS, Bm25Settings(k1=1.5, b=0.75)], ids=["shipped", "classic"])
def test_scores_match_raw_bm25s_on_the_same_terms(settings):
    """Oracle: our wrapper must rank and score exactly as bm25s does on the same analysed tokens, with the settings
    it is given (benchmarks/quality.py --bm25-grid tries others than the shipped ones)."""
    ours = LexicalIndex.from_terms([analyse(t) for t in TEXTS], settings)
    raw = bm25s.BM25(method="lucene", k1=settings.k1, b=settings.b)
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


@pytest.mark.parametrize("repeat", [1, 3])
def test_headings_are_indexed_as_often_as_the_settings_say(repeat):
    passage = Passage("p", "d", "Carcinoid syndrome", "Diet", "Eat small meals.", 0, 0)
    terms = analyse(lexical_document(passage, Bm25Settings(heading_repeat=repeat)))
    assert terms.count(analyse("carcinoid")[0]) == repeat and terms.count(analyse("meals")[0]) == 1


def test_saved_files_are_read_by_one_thread_at_a_time(tmp_path, monkeypatch):
    """NumPy parses each .npy header with ast.literal_eval, which CPython 3.11 cannot run in two threads at once
    (npy_files.py): readers opening a version together must take turns."""
    import ast
    import threading
    import time

    LexicalIndex.build(["flushing of the face", "diarrhoea at night", "tryptophan in chocolate"]).save(tmp_path)
    parse, guard, state = ast.literal_eval, threading.Lock(), {"inside": 0, "most": 0}

    def slow_parse(text):
        with guard:
            state["inside"] += 1
            state["most"] = max(state["most"], state["inside"])
        time.sleep(0.002)  # wide enough that threads not taking turns would overlap here
        with guard:
            state["inside"] -= 1
        return parse(text)

    monkeypatch.setattr(ast, "literal_eval", slow_parse)
    loaded = []
    readers = [threading.Thread(target=lambda: loaded.append(LexicalIndex.load(tmp_path, 3))) for _ in range(8)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert len(loaded) == 8 and state["most"] == 1
