"""sentence_scores.py: candidates scored at passage and sentence grain in one gather, and the answering sentence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from nets_search.index.lexical import analyse
from nets_search.search.sentence_scores import SentenceScorer, _best_scoring, best_sentence
from nets_search.types import Passage

TEXTS = ["Flushing is common. Wine can trigger it.", "Diarrhoea at night. Eat small meals.", "No sentences here"]


def passage(row: int, text: str) -> Passage:
    return Passage(passage_id=f"p{row}", doc_id="d", title="T", section="H", text=text, position=row, section_index=0)


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture
def scorer() -> SentenceScorer:
    passages = [passage(row, text) for row, text in enumerate(TEXTS)]
    passage_matrix = np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1)])
    sentences = [(0, 0, 19), (0, 20, 40), (1, 0, 19), (1, 20, 36)]  # passage 2 has none
    sentence_matrix = np.stack([unit(1, 0, 0), unit(1, 1, 0), unit(0, 1, 0), unit(0, 1, 1)])
    return SentenceScorer(passages, passage_matrix, sentences, sentence_matrix, analyse)


@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_a_passage_scores_its_own_cosine_mixed_with_its_best_sentences(scorer, weight):
    query = unit(1, 1, 0)
    ranking, by_row = scorer.dense_scores(query, [2, 1, 0], weight)
    own = {0: float(unit(1, 0, 0) @ query), 1: float(unit(0, 1, 0) @ query), 2: 0.0}
    best = {0: float(unit(1, 1, 0) @ query), 1: float(unit(0, 1, 0) @ query), 2: 0.0}
    expected = {row: (1 - weight) * own[row] + weight * best[row] for row in own}
    assert dict(ranking) == pytest.approx(expected)
    assert [row for row, _ in ranking] == sorted(expected, key=lambda row: (-expected[row], row))
    assert set(by_row) == {0, 1} and len(by_row[0]) == 2  # a passage without sentences has no sentence cosines
    assert scorer.dense_scores(query, [], weight) == ([], {})


def test_the_answering_sentence_is_the_nearest_plus_a_share_for_the_questions_words(scorer):
    _, by_row = scorer.dense_scores(unit(1, 0.2, 0), [0], 0.3)
    idf = {t: 1.0 for t in analyse("wine flushing")}
    nearest = scorer.best_sentence(0, by_row, [], [], idf, 0.6, words_weight=0.0)
    assert TEXTS[0][slice(*nearest)] == "Flushing is common."
    worded = scorer.best_sentence(0, by_row, analyse("wine"), [], idf, 0.6, words_weight=1.0)
    assert TEXTS[0][slice(*worded)] == "Wine can trigger it."


def test_sentences_out_of_passage_order_are_refused():
    passages = [passage(row, text) for row, text in enumerate(TEXTS[:2])]
    with pytest.raises(ValueError, match="out of passage order"):
        SentenceScorer(passages, np.eye(2, 3, dtype=np.float32), [(0, 0, 5), (1, 0, 5), (0, 6, 9)],
                       np.eye(3, dtype=np.float32), analyse)


def test_a_lead_in_sentence_comes_with_the_list_it_introduces():
    text = ("Call a doctor right away if you have any of the following:\n• chest pain\n• black stools\n\n"
            "These can be signs of bleeding.")
    spans = [(0, 58), (59, 71), (72, 86), (88, 119)]
    assert [text[a:b] for a, b in spans][1:] == ["• chest pain", "• black stools", "These can be signs of bleeding."]
    scorer = SentenceScorer([passage(0, text)], np.eye(1, 3, dtype=np.float32), [(0, a, b) for a, b in spans],
                            np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(0, 1, 0), unit(0, 0, 1)]), analyse)
    _, by_row = scorer.dense_scores(unit(1, 0, 0), [0], 0.3)
    start, end = scorer.best_sentence(0, by_row, [], [], {}, 0.6, 0.3)
    assert text[start:end] == "Call a doctor right away if you have any of the following:\n• chest pain\n• black stools"
    _, by_row = scorer.dense_scores(unit(0, 0, 1), [0], 0.3)
    start, end = scorer.best_sentence(0, by_row, [], [], {}, 0.6, 0.3)
    assert text[start:end] == "These can be signs of bleeding."  # no lead-in: the sentence alone


def scorer_of(text: str, nearest: int) -> tuple[SentenceScorer, dict]:
    """A one-passage scorer over `text`'s sentences, with the question nearest sentence `nearest` in meaning."""
    from nets_search.text import sentence_spans

    spans = sentence_spans(text)
    matrix = np.stack([unit(1, 0, 0) if i == nearest else unit(0.2, 1, 0) for i in range(len(spans))])
    scorer = SentenceScorer([passage(0, text)], np.eye(1, 3, dtype=np.float32), [(0, a, b) for a, b in spans],
                            matrix, analyse)
    return scorer, scorer.dense_scores(unit(1, 0, 0), [0], 0.3)[1]


POINTING = "Cells make up the system. These cells release hormones. Hormones travel in blood. It is quick. Done."
LISTED = "They can help:\n• rest\n• They say fluids\n\nThese are simple. Such steps help."


@pytest.mark.parametrize("text, nearest, widen, shown", [
    (POINTING, 1, True, "Cells make up the system. These cells release hormones."),  # back to what "These" means
    (POINTING, 2, True, "Hormones travel in blood. It is quick."),  # on to the sentence pointing back at it
    (POINTING, 0, True, "Cells make up the system. These cells release hormones."),
    (POINTING, 4, True, "Done."),
    (POINTING, 1, False, "These cells release hormones."),
    (POINTING, 2, False, "Hormones travel in blood."),
    (LISTED, 0, True, "They can help:\n• rest\n• They say fluids"),  # the first sentence: nothing before it
    (LISTED, 2, True, "• They say fluids"),  # a list item is shown alone
    (LISTED, 3, True, "These are simple. Such steps help."),  # not joined to the list's last item, but to the next
])
def test_the_best_sentence_is_shown_with_the_sentence_it_points_back_at_or_that_points_at_it(text, nearest, widen,
                                                                                              shown):
    scorer, by_row = scorer_of(text, nearest)
    start, end = scorer.best_sentence(0, by_row, [], [], {}, 0.6, 0.3, widen=widen)
    assert text[start:end] == shown


@pytest.mark.parametrize("quantity_weight, shown", [(0.0, "The syndrome is a group of symptoms."),
                                                    (1.0, "About 1 in 10 people with NETs get it.")])
def test_a_sentence_giving_a_number_wins_only_when_the_question_asks_for_one(quantity_weight, shown):
    text = "The syndrome is a group of symptoms. About 1 in 10 people with NETs get it."
    scorer, by_row = scorer_of(text, 0)
    start, end = scorer.best_sentence(0, by_row, [], [], {}, 0.6, 0.0, quantity_weight)
    assert text[start:end] == shown


COSINES = st.one_of(st.sampled_from([-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]), st.floats(-1, 1))  # ties too


@given(st.lists(st.tuples(COSINES, st.sampled_from([0.0, 0.25, 0.5, 1.0])), min_size=1, max_size=12),
       st.sampled_from([0.0, 0.3, 1.0]))
@example([(0.0, 1.0), (1.0, 0.0)], 1.0)  # a tie: the first sentence wins, so the search may not stop at equality
@example([(0.5, 0.0), (0.25, 1.0), (0.75, 0.0)], 1.0)  # a tie found only after the nearest
def test_the_pruned_choice_is_the_one_scoring_every_sentence_gives(sentences, words_weight):
    cosines, shares = [c for c, _ in sentences], [s for _, s in sentences]
    asked = []

    def bonus(number):
        asked.append(number)
        return words_weight * shares[number]

    scores = [c + words_weight * s for c, s in sentences]
    assert _best_scoring(cosines, words_weight, bonus) == scores.index(max(scores))  # the first on a tie
    assert all(cosines[n] + words_weight + 1e-9 >= max(scores) for n in asked[1:])  # none asked that could not win


def test_no_sentences_is_an_error_and_a_nan_cosine_never_wins():
    with pytest.raises(ValueError, match="no sentences"):
        _best_scoring([], 0.3, lambda n: 0.0)
    assert _best_scoring([0.1, float("nan"), 0.6, float("nan")], 0.3, lambda n: 0.3 if n % 2 else 0.0) == 2


def test_sentences_that_cannot_win_are_not_analysed():
    cosines = [0.9, 0.1, 0.7, 0.2]
    asked = []
    assert _best_scoring(cosines, 0.3, lambda n: asked.append(n) or 0.0) == 0
    assert asked == [0, 2]  # 0.7 + 0.3 could still beat 0.9, so it is tried; 0.2 + 0.3 could not: the search stops


IDF = {t: 1.0 for t in analyse("tryptophan chocolate cheese foods avoid stress flushing")}


@pytest.mark.parametrize(
    "question, expected",
    [
        ("which foods have tryptophan", "• Avoid foods with tryptophan (e.g. chocolate, cheese)."),
        ("does stress matter", "Stress can trigger flushing."),
        ("weather tomorrow", None),
    ],
)
def test_without_sentence_cosines_the_best_sentence_is_the_one_sharing_most_question_terms(question, expected):
    text = "Carcinoid syndrome is common. Stress can trigger flushing.\n• Avoid foods with tryptophan (e.g. chocolate, cheese)."
    span = best_sentence(text, set(analyse(question)), IDF, analyse)
    assert (text[span[0] : span[1]] if span else None) == expected


@pytest.mark.parametrize("question", ["What is carcinoid syndrome?", "Why does my face go red?",
                                      "where can I find practical tips and tools"])
def test_the_best_sentence_never_only_points_elsewhere_when_the_passage_says_something(seed_searcher, question):
    """The seed page's "These symptoms are often misdiagnosed…" passage ends "Visit the practical tips and tools
    section …": nearest in meaning to some questions, yet it answers none. The next best sentence is chosen."""
    from nets_search.text import points_elsewhere, sentences

    for result in seed_searcher.search(question).results:
        start, end = result.best_sentence
        if any(not points_elsewhere(s) for s in sentences(result.passage.text)):
            assert not points_elsewhere(result.passage.text[start:end]), result.passage.text[start:end]
