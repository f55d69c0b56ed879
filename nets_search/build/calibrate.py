"""Fitting a version's "no good match" decision on the tune part of the corpus's own labelled questions.

A corpus folder's labelled questions are its top-level `*.jsonl` files in the golden-question format
(`golden-questions.jsonl`, and any others such as `calibration-out-of-scope.jsonl`). Only their tune part is used
(see `part_of`); the test part stays unseen for the figures.

A build refits only when the fit's evidence has changed: the tune questions, the model and retrieval settings, or
the pages those questions are about (`FitBasis`). Otherwise the version in use's calibration is carried forward
unchanged. A global fit refitted on every build moves every reader's confidence bars whenever any page is added: an
out-of-scope tune question that a new page happens to land nearest (or now answers) pushed the "strong or good" bar
from 0.84 to 0.97 on the seed page after two pages about injections were added, and answers that had not changed at
all were shown as merely related. A new page that answers a question labelled out of scope is not a reason to move
everyone's bars; it is a label to revisit, and the build's label report (label_changes.py) names that question.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from nets_search.corpus.files import corpus_question_files
from nets_search.errors import EvaluationError, IndexWriteError
from nets_search.atomic_write import replace_file
from nets_search.evaluate.golden import GoldenQuestion, load_golden, passage_matches
from nets_search.evaluate.metrics import part_of
from nets_search.index.layout import CALIBRATION_FILE
from nets_search.search.confidence import SIGNALS_VERSION, Calibration, calibrate, fit_calibration
from nets_search.text import sha256_text

log = logging.getLogger(__name__)

MIN_EACH = 5  # in-scope and out-of-scope tune questions needed to fit a calibration of the corpus's own
RETRY_HINT = "run: nets-search calibrate"
BASIS_FILE = "calibration-basis.json"  # beside calibration.json in a version: what its calibration was fitted on
ABOUT_DEPTH = 5  # a labelled question is about the pages of its first passages, as many as a reader is shown


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


@dataclass(frozen=True)
class FitBasis:
    """What a calibration was fitted on. Two builds with equal bases would gather the same evidence for every tune
    question but for words that pages nobody asked about add to the vocabulary, so the fit is carried forward."""

    questions: str  # digest of the tune questions (id, wording, in or out of scope, expected phrases)
    settings: str  # digest of the model and the retrieval settings (signals version included) of the version
    pages: tuple[tuple[str, str], ...]  # (page, content hash) of every page an in-scope tune question is about
    fitted_in: str = ""  # the version whose build fitted it

    def same_evidence(self, other: "FitBasis") -> bool:
        return (self.questions, self.settings, self.pages) == (other.questions, other.settings, other.pages)

    def save(self, folder: Path) -> None:
        replace_file(Path(folder) / BASIS_FILE, (json.dumps(asdict(self), indent=1) + "\n").encode("utf-8"))

    @classmethod
    def load(cls, folder: Path) -> "FitBasis | None":
        """None when the version has none (built by an older release, or calibrated by hand) or it is unreadable:
        then the next build refits."""
        try:
            data = json.loads((Path(folder) / BASIS_FILE).read_text(encoding="utf-8"))
            return cls(str(data["questions"]), str(data["settings"]),
                       tuple((str(doc), str(digest)) for doc, digest in data["pages"]), str(data.get("fitted_in", "")))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def calibrate_version(corpus: Path, staged: Path, index_dir: Path, encoder, backend: str) -> str:
    """Write `calibration.json` (and its `FitBasis`) into a staged version: the version in use's, carried forward,
    when the fit's evidence is unchanged; otherwise fitted anew. Returns a line for the build report."""
    questions = labelled_questions(corpus)
    inside = sum(not q.out_of_scope for q in questions)
    outside = len(questions) - inside
    if inside < MIN_EACH or outside < MIN_EACH:
        return "no good match: the package's default calibration (the corpus has too few labelled questions)"
    from nets_search.encode.encoder import Encoder
    from nets_search.search.searcher import Searcher

    encoder = encoder or Encoder(backend, cache_dir=Path(index_dir) / "cache")
    searcher = Searcher(index_dir, encoder=encoder, version_folder=staged)
    responses = [searcher.search(q.question) for q in questions]
    basis = fit_basis(questions, responses, searcher)
    kept = _previous_fit(index_dir)
    if kept is not None and kept[1].same_evidence(basis):
        kept[0].save(Path(staged) / CALIBRATION_FILE)
        kept[1].save(staged)
        return (f"no good match: calibration kept from version {kept[1].fitted_in} (its labelled questions and the "
                "pages they are about are unchanged)")
    fitted = fit_calibration([r.evidence for r in responses], [not q.out_of_scope for q in questions])
    fitted.save(Path(staged) / CALIBRATION_FILE)
    basis.save(staged)
    return f"no good match: calibrated on the tune part of the corpus's questions ({fitted.fitted_on})"


def fit_basis(questions: list[GoldenQuestion], responses: list, searcher) -> FitBasis:
    """The basis of a fit on `questions` (tune) in the version `searcher` has open, given their `responses` there.

    An in-scope question is about the page of its first passage and the pages of those of its first ABOUT_DEPTH
    passages that hold its expected phrases (as the golden figures count a hit): the passages its evidence and its
    answer come from. Pages further down, or merely holding a short expected word ("liver" is in "delivery"), are
    not. An out-of-scope question is about no page: which page it lands nearest is happenstance, and a new page that
    does answer it calls for relabelling it (which refits), not for moving everyone's bars."""
    manifest = searcher.manifest
    settings = json.dumps([manifest.model, manifest.model_hash, manifest.backend, manifest.splitter,
                           manifest.retrieval], sort_keys=True)
    pages = {doc for q, r in zip(questions, responses) if not q.out_of_scope for doc in _pages_about(q, r)}
    return FitBasis(_questions_digest(questions), sha256_text(settings),
                    tuple(sorted((doc, str(manifest.files.get(doc, ""))) for doc in pages)), manifest.version)


def _pages_about(question: GoldenQuestion, response) -> set[str]:
    shown = response.results[:ABOUT_DEPTH]
    return {r.passage.doc_id for r in shown[:1]} | {
        r.passage.doc_id for r in shown if passage_matches(r.passage.text, question.expect)}


def _questions_digest(questions: list[GoldenQuestion]) -> str:
    rows = sorted([q.id, q.question, q.out_of_scope, [list(a) for a in q.expect]] for q in questions)
    return sha256_text(json.dumps(rows, ensure_ascii=False))


def _previous_fit(index_dir: Path) -> tuple[Calibration, FitBasis] | None:
    """The version in use's calibration and its basis, if it has both and can be opened (checksums checked)."""
    from nets_search.errors import NetsSearchError
    from nets_search.index import store

    try:
        manifest, folder = store.open_current(index_dir)
        basis = FitBasis.load(folder)
        if basis is None or manifest.retrieval.get("signals") != SIGNALS_VERSION:
            return None
        return Calibration.load(folder / CALIBRATION_FILE), basis
    except NetsSearchError:
        return None


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
    copy_contents(folder, staged, leave_out=(CALIBRATION_FILE, BASIS_FILE))  # a fit by hand has no basis: a build refits
    fitted.save(staged / CALIBRATION_FILE)
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
