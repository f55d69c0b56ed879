"""The `nets-search` command: build, search, eval. The only place where errors become messages."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from nets_search.search import retrievers
from nets_search.errors import NetsSearchError, QueryError
from nets_search.types import SearchResponse

DEFAULT_CORPUS = Path("corpus")
DEFAULT_INDEX = Path("index")


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except NetsSearchError as exc:
        print(f"nets-search: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("nets-search: interrupted; the previous index is still in place", file=sys.stderr)
        return 130


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nets-search", description="Search our NETs patient information.")
    sub = parser.add_subparsers(title="commands")

    build = sub.add_parser("build", help="build or update the index from the corpus", description="Build or update the index: embeds only new or changed passages.")
    build.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of .md/.txt pages or a BEIR-style .jsonl file (default: corpus/)")
    build.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    build.add_argument("--backend", default=None, choices=("onnx-int8", "onnx", "torch"),
                       help="encoder backend (default onnx-int8, or NETS_SEARCH_BACKEND)")
    build.add_argument("--skip-bad-files", action="store_true", help="skip unreadable pages with a warning instead of stopping")
    build.add_argument("--force", action="store_true", help="write a new version even if nothing changed")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(handler=run_build)

    search = sub.add_parser("search", help="answer a question (or a batch of them)", description="Find the passages that answer a question.")
    search.add_argument("question", nargs="?", help="the question, in your own words")
    search.add_argument("--batch", type=Path, help="JSONL file: one question a line, with 'id'/'_id' and 'question'/'text'")
    search.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    search.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    search.add_argument("--mode", choices=retrievers.modes(), default="hybrid", help="retrieval mode (default hybrid)")
    search.add_argument("--json", action="store_true", help="print JSON instead of readable text")
    search.set_defaults(handler=run_search)

    versions = sub.add_parser("versions", help="list the kept index versions", description="List the index versions kept on disk, newest last, and which is in use.")
    versions.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    versions.set_defaults(handler=run_versions)

    rollback = sub.add_parser("rollback", help="switch back to a kept index version", description="Switch the index in use back to a kept version (default: the one before the current). Running pages follow at their next search.")
    rollback.add_argument("version", nargs="?", help="the version to use (default: the one before the current)")
    rollback.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    rollback.set_defaults(handler=run_rollback)

    add_eval_parser(sub)
    add_calibrate_parser(sub)
    return parser


# --------------------------------------------------------------------------- build


def run_build(args: argparse.Namespace) -> int:
    from nets_search.build.build import BuildSettings
    from nets_search.encode.encoder import DEFAULT_BACKEND
    from nets_search.build.rebuild import rebuild_and_check

    settings = BuildSettings(backend=args.backend or DEFAULT_BACKEND, skip_bad_files=args.skip_bad_files)
    with _progress_bar(disabled=args.quiet) as progress:
        done = rebuild_and_check(args.corpus, args.index, settings, progress=progress, force=args.force)
    print(done.summary())
    return 0


class _progress_bar:
    """A tqdm bar for the embedding step, shown on a terminal only (tqdm's own tty check)."""

    def __init__(self, disabled: bool) -> None:
        self.disabled = disabled
        self.bar = None

    def __enter__(self):
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="embedding passages", unit="passage", disable=None if not self.disabled else True)
        self.bar.n = done
        self.bar.refresh()

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------------- search


def run_versions(args: argparse.Namespace) -> int:
    """Every version on disk, the damaged ones with why; a damaged CURRENT is named too (a rollback repairs it)."""
    from nets_search.index import store
    from nets_search.corpus.pages import count_pages

    kept = store.kept_versions(args.index)
    if not kept:
        raise NetsSearchError(f"no index versions in {args.index}; {store.REBUILD_HINT}")
    current = store.current_version(args.index)
    for version in kept:
        mark = "*" if version.name == current else " "
        m = version.manifest
        if m is None:
            print(f"{mark} {version.name}  damaged: {version.problem}")
        else:
            print(f"{mark} {m.version}  built {m.built_at}  {count_pages(m.files)} pages  {m.passages} passages")
    print("(* = in use)")
    _warn_about_current(args.index)
    return 0


def _warn_about_current(index: Path) -> None:
    from nets_search.index import store

    try:
        store.read_current(index)
    except NetsSearchError as exc:
        print(f"nets-search: warning: {exc}", file=sys.stderr)


def run_rollback(args: argparse.Namespace) -> int:
    from nets_search.index import store

    before = store.current_version(args.index) or "no usable version"
    now = store.rollback(args.index, args.version)
    print(f"Index in use: {now} (was {before}). Running pages switch at their next search.")
    return 0


def run_search(args: argparse.Namespace) -> int:
    """One question, or a batch file: one JSON line out per line in; exit 2 if any line could not be answered."""
    if args.batch is None and not (args.question or "").strip():
        raise QueryError("the question is empty; usage: nets-search search \"QUESTION\"")
    from nets_search.search.batch import answer_lines, read_lines, to_json_line
    from nets_search.search.searcher import Searcher

    if args.batch is not None and not args.batch.is_file():
        raise NetsSearchError(f"{args.batch}: file not found")
    searcher = Searcher(args.index)
    if args.batch is not None:
        all_answered = True
        with args.batch.open("rb") as stream:  # read a line at a time, none held past the line limit
            for record, answered in answer_lines(searcher.search, read_lines(stream), k=args.k, mode=args.mode):
                print(to_json_line(record), flush=True)
                all_answered &= answered
        return 0 if all_answered else 2
    response = searcher.search(args.question, k=args.k, mode=args.mode)
    text = to_json_line(response.to_dict()) if args.json else format_response(response)
    print(text.encode("utf-8", "replace").decode("utf-8"))
    return 0


def format_response(response: SearchResponse) -> str:
    lines = []
    if response.truncated:
        lines.append(f"(a long question: searched its first {len(response.searched_text)} characters)")
    if response.no_good_match:
        lines.append("Our NETs information does not seem to cover this. The nearest passages:")
    elif response.tentative:
        lines.append("Our NETs information may not answer this exactly. The nearest passages:")
    for result in response.results:
        p = result.passage
        lines.append(f"{result.rank}. {p.breadcrumb}  [{result.score:.3f}]")
        lines.extend("   " + line for line in p.text.splitlines())
        if p.source:
            lines.append(f"   source: {p.source}")
        lines.append("")
    return "\n".join(lines).rstrip()


# --------------------------------------------------------------------------- eval

SHARED_GOLDEN = Path("../shared/data/nets-dev-questions.jsonl")  # the development set, when checked out beside us
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
    from nets_search.evaluate import runs as evaluate
    from nets_search.build.calibrate import labelled_questions, recalibrate

    if args.questions:
        questions = [q for path in args.questions for q in evaluate.load_golden(path)]
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
                    help=f"golden-question JSONL files (default: the *.jsonl files of {DEFAULT_CORPUS}/, plus {SHARED_GOLDEN} if present)")
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
    from nets_search.evaluate import runs as evaluate

    modes = _eval_modes(args.modes)
    golden = {str(path): evaluate.load_golden(path) for path in _golden_files(args)}
    dataset = evaluate.load_beir(args.beir, args.split) if args.beir else None
    if not golden and dataset is None:
        raise NetsSearchError("nothing to evaluate: give --golden FILE or --beir DIR")
    from nets_search.encode.encoder import DEFAULT_BACKEND, SharedEncoder

    index_dir = args.index if golden else args.beir_index or Path(f"index-beir-{dataset.name}")
    encoder = SharedEncoder(DEFAULT_BACKEND, cache_dir=Path(index_dir) / "cache")  # one for the build and searchers
    figures: dict = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "modes": modes, "golden": {}, "beir": {}}
    if golden:
        searcher = _eval_searcher(args.index, encoder)
        for label, questions in golden.items():
            parts = evaluate.compare_golden_parts(searcher.search, questions, modes)
            for part, reports in parts.items():
                print(evaluate.format_golden_table(f"{label} [{part}]", reports) + "\n")
            figures["golden"][label] = {
                "index": str(args.index),
                "index_version": searcher.version,
                "parts": {part: {mode: r.to_dict() for mode, r in reports.items()} for part, reports in parts.items()},
            }
    if dataset is not None:
        index = args.beir_index or Path(f"index-beir-{dataset.name}")
        searcher = _beir_searcher(dataset, index, encoder, args.quiet)
        parts = {part: evaluate.compare_beir(searcher.search, dataset, modes, args.limit, part) for part in evaluate.PARTS}
        for part, reports in parts.items():
            print(evaluate.format_beir_table(dataset, reports, f"{index}/; {part} part") + "\n")
        figures["beir"][dataset.name] = {
            "folder": str(args.beir),
            "split": dataset.split,
            "index": str(index),
            "index_version": searcher.version,
            "limit": args.limit,
            "parts": {part: {mode: r.to_dict() for mode, r in reports.items()} for part, reports in parts.items()},
        }
    evaluate.write_json(args.out, figures)
    print(f"Figures written to {args.out}")
    return 0


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
    if args.golden:
        return list(args.golden)
    from nets_search.corpus.files import corpus_question_files

    return corpus_question_files(DEFAULT_CORPUS) + ([SHARED_GOLDEN] if SHARED_GOLDEN.is_file() else [])


def _eval_searcher(index: Path, encoder):
    from nets_search.encode.encoder import base_backend
    from nets_search.search.searcher import Searcher

    searcher = Searcher(index, encoder=encoder.get())
    if base_backend(searcher.manifest.backend) != base_backend(encoder.get().backend):
        print(
            f"nets-search: warning: {index} was built on the {searcher.manifest.backend} backend, queries run on "
            f"{encoder.get().backend}; scores may differ slightly from the page's",
            file=sys.stderr,
        )
    return searcher


def _beir_searcher(dataset, index: Path, encoder, quiet: bool):
    """Bring the BEIR index up to date (a no-op when nothing changed), then open it."""
    from nets_search.build.build import BuildSettings, build_index
    from nets_search.build.rebuild import format_build_report

    print(f"Updating the index of {dataset.corpus} in {index}/ (only new or changed passages are embedded) …", flush=True)
    with _progress_bar(disabled=quiet) as progress:
        report = build_index(dataset.corpus, index, BuildSettings(), encoder=encoder, progress=progress)
    print(format_build_report(report) + "\n")
    return _eval_searcher(index, encoder)


if __name__ == "__main__":
    sys.exit(main())
