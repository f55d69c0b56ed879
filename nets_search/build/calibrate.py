"""Fitting a version's "no good match" decision on the tune part of the corpus's own labelled questions.

A corpus folder's labelled questions are its top-level `*.jsonl` files in the golden-question format
(`golden-questions.jsonl`, and any others such as `calibration-out-of-scope.jsonl`). Only their tune part is used
(see `part_of`); the test part stays unseen for the figures.
"""

from __future__ import annotations

import logging
from pathlib import Path

from nets_search.corpus.files import corpus_question_files
from nets_search.errors import EvaluationError, IndexWriteError
from nets_search.evaluate.golden import GoldenQuestion, load_golden
from nets_search.evaluate.metrics import part_of
from nets_search.search.confidence import SIGNALS_VERSION, VERSION_FILE, calibrate

log = logging.getLogger(__name__)

MIN_EACH = 5  # in-scope and out-of-scope tune questions needed to fit a calibration of the corpus's own
RETRY_HINT = "run: nets-search calibrate"


def labelled_questions(corpus: Path, part: str | None = "tune") -> list[GoldenQuestion]:
    """The corpus's labelled questions (of one part, or all with part=None); unreadable files are skipped."""
    if not Path(corpus).is_dir():
        return []
    questions = []
    for path in corpus_question_files(Path(corpus)):
        try:
            questions += [q for q in load_golden(path, folder=corpus) if q.out_of_scope or q.expect]
        except EvaluationError as exc:
            log.warning("labelled questions not used: %s", exc)
    return [q for q in questions if part is None or part_of(q.id) == part]


def calibrate_version(corpus: Path, staged: Path, index_dir: Path, encoder, backend: str) -> str:
    """Fit and write `calibration.json` into a staged version; returns a line for the build report."""
    questions = labelled_questions(corpus)
    inside = sum(not q.out_of_scope for q in questions)
    outside = len(questions) - inside
    if inside < MIN_EACH or outside < MIN_EACH:
        return "no good match: the package's default calibration (the corpus has too few labelled questions)"
    from nets_search.encode.encoder import Encoder
    from nets_search.search.searcher import Searcher

    encoder = encoder or Encoder(backend, cache_dir=Path(index_dir) / "cache")
    searcher = Searcher(index_dir, encoder=encoder, version_folder=staged)
    fitted = calibrate(searcher.search, [(q.question, not q.out_of_scope) for q in questions])
    fitted.save(Path(staged) / VERSION_FILE)
    return f"no good match: calibrated on the tune part of the corpus's questions ({fitted.fitted_on})"


def recalibrate(index_dir: Path, questions: list[GoldenQuestion], encoder=None, out: Path | None = None):
    """Refit the version in use on the tune part of `questions`. Written to `out` if given; otherwise into a new
    version that is the one in use plus the new calibration, switched in atomically like a build (versions are
    never changed in place: a page reading the old one keeps reading a consistent folder). A failed write (a full
    disk) is one line (IndexWriteError), and leaves nothing behind."""
    from nets_search.index import store
    from nets_search.search.searcher import Searcher

    tune = [q for q in questions if part_of(q.id) == "tune" and (q.out_of_scope or q.expect)]
    searcher = Searcher(index_dir, encoder=encoder)
    fitted = calibrate(searcher.search, [(q.question, not q.out_of_scope) for q in tune])
    if out is not None:
        _save_to(fitted, Path(out))
        return fitted, None
    with store.build_lock(index_dir, retry=RETRY_HINT):
        manifest, folder = store.open_current(index_dir)
        version = store.new_version_name()
        with store.writing_version(index_dir, version, retry=RETRY_HINT):
            try:
                _write_recalibrated(index_dir, folder, manifest, version, fitted)
            except BaseException:  # interrupted too: the staged copy goes at once
                store.discard_version(index_dir, version)
                raise
        store.prune(index_dir)
    return fitted, version


def _write_recalibrated(index_dir: Path, folder: Path, manifest, version: str, fitted) -> None:
    """A copy of the version in `folder` with `fitted` as its calibration, published as `version`."""
    import dataclasses
    import time

    from nets_search.index import manifest_file, store
    from nets_search.index.version import copy_contents

    staged = store.staging_dir(index_dir, version)
    copy_contents(folder, staged, leave_out=(VERSION_FILE,))
    fitted.save(staged / VERSION_FILE)
    built_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    # fitted with today's signals: say so, or a version built by an older release would ignore it
    retrieval = {**manifest.retrieval, "signals": SIGNALS_VERSION}
    manifest_file.write_manifest(staged, dataclasses.replace(manifest, version=version, built_at=built_at, retrieval=retrieval,
                                                             checksums=manifest_file.file_checksums(staged)))
    store.open_folder(staged)  # read back as a reader will check it
    store.publish(index_dir, staged, version)


def _save_to(fitted, out: Path) -> None:
    try:
        fitted.save(out)
    except OSError as exc:
        out.with_name(out.name + ".tmp").unlink(missing_ok=True)  # Calibration.save writes beside, then renames
        raise IndexWriteError(f"could not write {out} ({exc.strerror or exc}); nothing was written") from None
