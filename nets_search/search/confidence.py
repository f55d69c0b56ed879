"""Deciding "no good match" from evidence that can be calibrated.

The decision is a logistic model over three signals (the best dense score, how much of the question's wording our
pages contain at all, and how much of the question's meaning rests on the words no page contains), fitted on the
tune part of a corpus's labelled questions and stored in each index version (`calibration.json`): its signals depend
on the corpus. A version without one uses the package's default, fitted on the tune parts of both NETs corpora.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from nets_search.errors import EvaluationError, NetsSearchError

log = logging.getLogger(__name__)

DEFAULT_CALIBRATION = Path(__file__).with_name("calibration.json")
CONFIDENT_SHARE = 0.75  # at most this share of the tune in-scope questions is sure enough for a strong or good label:
# the largest of 0.9, 0.8, 0.75, 0.7, 0.6 under which no unseen out-of-scope question was labelled strong or good in
# cross-validation on the tune parts (5 folds, 30 shuffles, each corpus alone; 0.9: 3.2% of them on the seed page and
# 5.3% on the library, 0.8: 1.0% and 2.5%); unseen in-scope questions labelled strong or good: 72% and 73%
SIGNALS_VERSION = 5  # raised when a signal or the fitted decision changes meaning (2: key_gap weighs every missing
# word together and decides only through the fitted model; 3: the `confident` bar for strong and good labels; 4: words
# covered in a derived form, apostrophes kept; 5: the confident bar leaves a quarter of the tune in-scope questions
# below it); a version built with another is rebuilt from the embedding cache and recalibrated
# (build/version_config.retrieval_settings)


@dataclass(frozen=True)
class Evidence:
    top_similarity: float  # the best dense score (passage and best-sentence cosine)
    term_coverage: float  # share of the question's content terms (IDF-weighted) found in the index
    key_gap: float = 0.0  # 1 - cosine(question, question without the words that no page contains)

    def features(self) -> list[float]:
        return [self.top_similarity, self.term_coverage, self.key_gap]


@dataclass(frozen=True)
class Calibration:
    weights: tuple[float, ...]
    bias: float
    threshold: float  # probability of "in scope" below which a question is flagged
    fitted_on: str = ""
    confident: float = 0.0  # probability of "in scope" from which a passage may be labelled a strong or good match
    # (0: every answer that is not "no good match")

    def is_confident(self, evidence: Evidence) -> bool:
        return self.in_scope_probability(evidence) >= self.confident

    def in_scope_probability(self, evidence: Evidence) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, evidence.features()))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def no_good_match(self, evidence: Evidence) -> bool:
        return self.in_scope_probability(evidence) < self.threshold

    def save(self, path: Path) -> None:
        """Written beside and renamed over, so a running page never reads half a file."""
        partial = path.with_name(path.name + ".tmp")
        partial.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path = DEFAULT_CALIBRATION) -> "Calibration":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            threshold = float(data["threshold"])
            loaded = cls(tuple(float(w) for w in data["weights"]), float(data["bias"]), threshold,
                         data.get("fitted_on", ""), float(data.get("confident", threshold)))
        except (OSError, ValueError, KeyError, TypeError):
            raise NetsSearchError(f"{path}: unreadable calibration; run: nets-search calibrate") from None
        numbers = [*loaded.weights, loaded.bias, loaded.threshold, loaded.confident]
        if not all(math.isfinite(x) for x in numbers) or not 0.0 <= loaded.threshold <= loaded.confident <= 1.0:
            raise NetsSearchError(f"{path}: calibration values out of range (0 <= threshold <= confident <= 1); "
                                  "run: nets-search calibrate")
        return loaded

    @classmethod
    def of_version(cls, calibration_file: Path | None, signals: object, name: str) -> "Calibration":
        """The calibration version `name` was built with (the package default if it has none), unless it was fitted
        on signals (`signals`: the version of them its manifest records) that have since changed meaning — a
        version built by an older release: then the package default, until the next build refits it."""
        if signals == SIGNALS_VERSION:
            return cls.load(calibration_file or DEFAULT_CALIBRATION)
        log.warning("%s was built by an older release: its 'no good match' decision is the package default until "
                    "the next build (nets-search build) refits it", name)
        return cls.load()


def fit_calibration(evidence: list[Evidence], in_scope: list[bool], max_false_flags: float = 0.02) -> Calibration:
    """Logistic regression on the signals. The probability threshold flags as many out-of-scope questions as it
    can while wrongly flagging at most `max_false_flags` of the in-scope ones. (Until signals version 2 a key gap
    over a fixed 0.35 flagged a question on its own; with every missing word weighed together that rule added
    nothing on the tune parts, so the fitted model decides alone.)

    The `confident` bar, from which a passage may be called a strong or good match, is above every out-of-scope
    question the threshold lets through, and high enough that at most CONFIDENT_SHARE of the in-scope questions
    reach it: an off-topic medical question that slips past the threshold is shown as merely related."""
    from sklearn.linear_model import LogisticRegression

    if all(in_scope) or not any(in_scope):
        raise EvaluationError("a calibration needs both in-scope and out-of-scope questions; add the missing kind")
    X = [e.features() for e in evidence]
    model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=1000).fit(X, in_scope)
    calibration = Calibration(tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0]), 0.5)
    inside = sorted(calibration.in_scope_probability(e) for e, y in zip(evidence, in_scope) if y)
    allowed = int(max_false_flags * len(inside))
    threshold = min(inside[allowed], 0.5) - 1e-9  # just above the `allowed` lowest in-scope questions
    outside = [calibration.in_scope_probability(e) for e, y in zip(evidence, in_scope) if not y]
    return Calibration(calibration.weights, calibration.bias, threshold,
                       f"{sum(in_scope)} in-scope and {len(in_scope) - sum(in_scope)} out-of-scope questions",
                       _confident_bar(inside, outside, threshold))


def _confident_bar(inside: list[float], outside: list[float], threshold: float) -> float:
    """Above every out-of-scope probability the threshold lets through, and high enough that at most
    CONFIDENT_SHARE of the in-scope probabilities (`inside`, sorted) reach it."""
    unsure = len(inside) - math.floor(CONFIDENT_SHARE * len(inside) + 1e-9)  # in-scope questions left below the bar
    let_through = [p for p in outside if p >= threshold]
    bar = max([threshold, inside[min(unsure, len(inside) - 1)], *(math.nextafter(p, 2.0) for p in let_through)])
    return min(bar, 1.0)


def calibrate(search_fn, labelled: list[tuple[str, bool]], max_false_flags: float = 0.02) -> Calibration:
    """Fit the no-good-match decision on (question, in scope?) pairs, gathering evidence through `search_fn`."""
    evidence = [search_fn(question).evidence for question, _ in labelled]
    return fit_calibration(evidence, [in_scope for _, in_scope in labelled], max_false_flags)
