"""`nets-search eval` and `nets-search calibrate`: their arguments, and what they print. The figures themselves are
assembled by evaluate/runs.py, the calibration by build/calibrate.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nets_search.cli.options import DEFAULT_CORPUS, DEFAULT_INDEX, progress_bar
from nets_search.errors import NetsSearchError
from nets_search.evaluate import runs
from nets_search.evaluate.beir import load_beir
from nets_search.evaluate.golden import load_golden
from nets_search.search import retrievers

DEFAULT_EVAL_OUT = Path("eval-results.json")


def add_calibrate_parser(sub) -> None:
    cal = sub.add_parser(
        "calibrate",
        help="refit the 'no good match' decision of the index in use",
        description=(
            "Fit the no-good-match decision (a logistic model over the best dense score, term coverage and how "
            "much the question's meaning rests on the words no page contains) and the bar for strong and good "
            "labels on the tune part of labelled in-scope and out-of-scope "
            "questions, and switch in a copy of the index version in use that carries it (or write it to --out). "
            "A build does this by itself from the corpus's own *.jsonl question files."
        ),
    )
    cal.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index to calibrate (default: index/)")
    cal.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus whose *.jsonl questions to use (default: corpus/)")
    cal.add_argument("--questions", type=Path, nargs="+", metavar="FILE",
                     help="golden-question files instead of the corpus's own")
    cal.add_argument("--out", type=Path, default=None, help="write the calibration to this file instead")
    cal.set_defaults(handler=run_calibrate)


def run_calibrate(args: argparse.Namespace) -> int:
    from nets_search.build.calibrate import labelled_questions, recalibrate

    if args.questions:
        questions = [q for path in args.questions for q in load_golden(path)]
    else:
        questions = labelled_questions(args.corpus, part=None)
    if not questions:
        raise NetsSearchError(f"no labelled questions: add *.jsonl golden-question files to {args.corpus} or give --questions")
    calibration, version = recalibrate(args.index, questions, out=args.out)
    where = args.out if version is None else f"index version {version}"
    print(f"Calibrated on the tune part ({calibration.fitted_on}); written to {where}")
    return 0


def add_eval_parser(sub) -> None:
    ev = sub.add_parser(
        "eval",
        help="measure answer quality on golden questions and BEIR datasets",
        description=(
            "Score retrieval in each mode side by side: golden questions (hit@1, hit@3, MRR@5, no-good-match "
            "flags) and, with --beir, a BEIR dataset at document level (nDCG@10, MRR@10, Recall@10/100). "
            "Prints tables and writes every figure to a JSON file."
        ),
    )
    ev.add_argument("--golden", type=Path, nargs="+", action="extend", metavar="FILE",
                    help=f"golden-question JSONL files (default: the *.jsonl files of {DEFAULT_CORPUS}/, plus {runs.SHARED_GOLDEN} if present)")
    ev.add_argument("--no-golden", action="store_true", help="skip the golden questions (BEIR only)")
    ev.add_argument("--beir", type=Path, metavar="DIR", help="a BEIR folder: corpus.jsonl, queries.jsonl, qrels/*.tsv")
    ev.add_argument("--split", help="which qrels/<split>.tsv to use (default: the only one, or the first by name)")
    ev.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index for the golden questions (default: index/)")
    ev.add_argument("--beir-index", type=Path, metavar="DIR",
                    help="index of the BEIR corpus (default: index-beir-<folder name>/, built or updated first)")
    ev.add_argument("--modes", default="hybrid,dense,lexical", help="comma-separated modes (default: hybrid,dense,lexical)")
    ev.add_argument("--limit", type=_positive_int, metavar="N", help="only the first N BEIR queries")
    ev.add_argument("--out", type=Path, default=DEFAULT_EVAL_OUT, help=f"JSON file for the figures (default: {DEFAULT_EVAL_OUT})")
    ev.add_argument("--quiet", action="store_true", help="no progress bar while building the BEIR index")
    ev.set_defaults(handler=run_eval)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def run_eval(args: argparse.Namespace) -> int:
    from nets_search.encode.encoder import DEFAULT_BACKEND, SharedEncoder

    modes = _eval_modes(args.modes)
    golden = runs.load_golden_sets(_golden_files(args))
    dataset = load_beir(args.beir, args.split) if args.beir else None
    if not golden and dataset is None:
        raise NetsSearchError("nothing to evaluate: give --golden FILE or --beir DIR")
    beir_index = None if dataset is None else args.beir_index or runs.beir_index_folder(dataset)
    encoder = SharedEncoder(DEFAULT_BACKEND, cache_dir=Path(args.index if golden else beir_index) / "cache")
    figures = runs.new_figures(modes)
    if golden:
        searcher = _eval_searcher(args.index, encoder)
        for label, questions in golden.items():
            figures["golden"][label] = runs.golden_figures(searcher, label, questions, modes, args.index, _show)
    if dataset is not None:
        _update_beir_index(dataset, beir_index, encoder, args.quiet)
        searcher = _eval_searcher(beir_index, encoder)
        figures["beir"][dataset.name] = runs.beir_figures(searcher, dataset, modes, args.limit, args.beir, beir_index, _show)
    runs.write_json(args.out, figures)
    print(f"Figures written to {args.out}")
    return 0


def _show(table: str) -> None:
    print(table + "\n")


def _eval_modes(text: str) -> list[str]:
    known = retrievers.modes()
    modes = list(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    unknown = [m for m in modes if m not in known]
    if unknown or not modes:
        raise NetsSearchError(f"unknown mode '{unknown[0] if unknown else text}' in --modes (choose from {', '.join(known)})")
    return modes


def _golden_files(args: argparse.Namespace) -> list[Path]:
    """The given files, or the corpus's labelled question files plus the shared development set if present."""
    if args.no_golden:
        return []
    return list(args.golden) if args.golden else runs.default_golden_files(DEFAULT_CORPUS)


def _eval_searcher(index: Path, encoder):
    searcher = runs.open_searcher(index, encoder)
    warning = runs.backend_mismatch(index, searcher, encoder)
    if warning:
        print(f"nets-search: warning: {warning}", file=sys.stderr)
    return searcher


def _update_beir_index(dataset, index: Path, encoder, quiet: bool) -> None:
    """Bring the BEIR index up to date (a no-op when nothing changed)."""
    from nets_search.build.build import BuildSettings, build_index
    from nets_search.build.rebuild import format_build_report

    print(f"Updating the index of {dataset.corpus} in {index}/ (only new or changed passages are embedded) …", flush=True)
    with progress_bar(disabled=quiet) as progress:
        report = build_index(dataset.corpus, index, BuildSettings(), encoder=encoder, progress=progress)
    print(format_build_report(report) + "\n")
