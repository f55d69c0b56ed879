"""Fitting a version's "no good match" decision on the tune part of the corpus's own labelled questions.

A corpus folder's labelled questions are its top-level `*.jsonl` files in the golden-question format
(`golden-questions.jsonl`, and any others such as `calibration-out-of-scope.jsonl`). Only their tune part is used
(see `evaluate.part_of`); the test part stays unseen for the figures.
"""

from __future__ import annotations

import logging
from pathlib import Path

from . import evaluate
from .confidence import VERSION_FILE, calibrate

log = logging.getLogger(__name__)

MIN_EACH = 5  # in-scope and out-of-scope tune questions needed to fit a calibration of the corpus's own


def labelled_questions(corpus: Path, part: str | None = "tune") -> list[evaluate.GoldenQuestion]:
    """The corpus's labelled questions (of one part, or all with part=None); unreadable files are skipped."""
    if not Path(corpus).is_dir():
        return []
    questions = []
    for path in sorted(Path(corpus).glob("*.jsonl")):
        try:
            questions += [q for q in evaluate.load_golden(path) if q.out_of_scope or q.expect]
        except evaluate.EvaluationError as exc:
            log.warning("labelled questions not used: %s", exc)
    return [q for q in questions if part is None or evaluate.part_of(q.id) == part]


def calibrate_version(corpus: Path, staged: Path, index_dir: Path, encoder, backend: str) -> str:
    """Fit and write `calibration.json` into a staged version; returns a line for the build report."""
    questions = labelled_questions(corpus)
    inside = sum(not q.out_of_scope for q in questions)
    outside = len(questions) - inside
    if inside < MIN_EACH or outside < MIN_EACH:
        return "no good match: the package's default calibration (the corpus has too few labelled questions)"
    from .encode import Encoder
    from .search import Searcher

    encoder = encoder or Encoder(backend, cache_dir=Path(index_dir) / "cache")
    searcher = Searcher(index_dir, encoder=encoder, version_folder=staged)
    fitted = calibrate(searcher.search, [(q.question, not q.out_of_scope) for q in questions])
    fitted.save(Path(staged) / VERSION_FILE)
    return f"no good match: calibrated on the tune part of the corpus's questions ({fitted.fitted_on})"
