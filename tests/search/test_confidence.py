import dataclasses
import math

import pytest

from nets_search.search.confidence import CONFIDENT_SHARE, Calibration, Evidence, fit_calibration
from nets_search.errors import EvaluationError, NetsSearchError
from nets_search.search.labels import strength_of


def test_in_scope_probability_is_the_logistic_of_the_weighted_sum():
    calibration = Calibration(weights=(2.0, 1.0), bias=-1.0, threshold=0.5)
    # z = -1 + 2*0.5 + 1*1 = 1 -> 1 / (1 + e^-1) = 0.7311
    assert calibration.in_scope_probability(Evidence(0.5, 1.0)) == pytest.approx(0.7310586)
    assert not calibration.no_good_match(Evidence(0.5, 1.0))
    assert calibration.no_good_match(Evidence(0.0, 0.0))  # z = -1 -> 0.27


def test_fitted_calibration_separates_and_spares_in_scope_questions():
    inside = [Evidence(0.5 + i / 100, 0.8) for i in range(30)]
    outside = [Evidence(0.05 + i / 100, 0.1) for i in range(20)]
    calibration = fit_calibration(inside + outside, [True] * 30 + [False] * 20)
    assert not any(calibration.no_good_match(e) for e in inside)
    assert all(calibration.no_good_match(e) for e in outside)


def test_the_confident_bar_is_above_every_out_of_scope_question_let_through_and_most_in_scope_ones():
    inside = [Evidence(0.5 + i / 100, 0.8) for i in range(30)]
    outside = [Evidence(0.05 + i / 100, 0.1) for i in range(20)] + [Evidence(0.62, 0.8)]  # one looks in scope
    calibration = fit_calibration(inside + outside, [True] * 30 + [False] * 21)
    assert not calibration.no_good_match(outside[-1])  # let through by the threshold...
    assert not calibration.is_confident(outside[-1])  # ...but never called a strong or good match
    assert sum(calibration.is_confident(e) for e in inside) == 17  # only the 17 above the one let through
    without = fit_calibration(inside + outside[:-1], [True] * 30 + [False] * 20)
    assert sum(without.is_confident(e) for e in inside) == math.floor(CONFIDENT_SHARE * 30)  # the share of 30, no more


@pytest.mark.parametrize("in_scope", [[True] * 4, [False] * 4])
def test_a_calibration_needs_both_kinds_of_question(in_scope):
    with pytest.raises(EvaluationError, match="both in-scope and out-of-scope"):
        fit_calibration([Evidence(0.1 * i, 0.5) for i in range(4)], in_scope)


@pytest.mark.parametrize("values", ['"threshold": 0.4, "confident": 1.5', '"threshold": 0.6, "confident": 0.5',
                                    '"threshold": NaN'])
def test_a_calibration_file_with_values_out_of_range_is_refused_by_name(tmp_path, values):
    (tmp_path / "c.json").write_text('{"weights": [1.0, 1.0, 1.0], "bias": 0.0, ' + values + "}")
    with pytest.raises(NetsSearchError, match="c.json: calibration values out of range"):
        Calibration.load(tmp_path / "c.json")


def test_a_calibration_file_without_a_confident_bar_uses_its_threshold(tmp_path):
    (tmp_path / "c.json").write_text('{"weights": [1.0, 1.0, 1.0], "bias": 0.0, "threshold": 0.4}')
    assert Calibration.load(tmp_path / "c.json").confident == 0.4


def test_calibration_round_trips_through_json(tmp_path):
    calibration = Calibration((1.5, -0.5), 0.1, 0.3, "test", 0.7)
    calibration.save(tmp_path / "c.json")
    assert Calibration.load(tmp_path / "c.json") == calibration


def test_shipped_calibration_loads():
    assert len(Calibration.load().weights) == len(Evidence(0.0, 0.0).features())


def test_an_answer_the_engine_is_unsure_of_is_tentative_and_says_so(seed_searcher, monkeypatch):
    response = seed_searcher.search("what are the symptoms of carcinoid syndrome")
    assert not response.tentative and "tentative" not in response.to_dict()
    unsure = dataclasses.replace(seed_searcher.calibration, confident=1.0)  # no answer is sure enough
    monkeypatch.setattr(seed_searcher, "calibration", unsure)
    response = seed_searcher.search("what are the symptoms of carcinoid syndrome")
    assert response.tentative and not response.no_good_match and response.to_dict()["tentative"] is True
    assert strength_of(response.results[0], response.no_good_match, response.tentative).label == "Related"


def test_an_index_built_on_older_signals_uses_the_package_calibration_until_rebuilt(seed_index, encoder, monkeypatch):
    from nets_search.search import confidence
    from nets_search.search.searcher import Searcher

    assert Searcher(seed_index, encoder=encoder).calibration != Calibration.load()  # its own, fitted at build
    monkeypatch.setattr(confidence, "SIGNALS_VERSION", confidence.SIGNALS_VERSION + 1)
    assert Searcher(seed_index, encoder=encoder).calibration == Calibration.load()


def test_search_flags_an_unrelated_question_and_not_a_related_one(seed_searcher):
    assert seed_searcher.search("how do I renew my passport").no_good_match
    assert not seed_searcher.search("what are the symptoms of carcinoid syndrome").no_good_match


def test_every_result_carries_a_best_sentence_inside_its_passage(seed_searcher):
    for result in seed_searcher.search("flushing of the face", k=3).results:
        start, end = result.best_sentence
        assert 0 <= start < end <= len(result.passage.text)
