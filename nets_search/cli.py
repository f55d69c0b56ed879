"""The `nets-search` command: build, search, eval. The only place where errors become messages."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Iterator

from .errors import NetsSearchError, QueryError
from .types import BuildReport, SearchResponse

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
    except KeyboardInterrupt:
        print("nets-search: interrupted; the previous index is still in place", file=sys.stderr)
        return 130


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nets-search", description="Search our NETs patient information.")
    sub = parser.add_subparsers(title="commands")

    build = sub.add_parser("build", help="build or update the index from the corpus", description="Build or update the index: embeds only new or changed passages.")
    build.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of .md/.txt pages or a BEIR-style .jsonl file (default: corpus/)")
    build.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    build.add_argument("--backend", default=None, help="encoder backend: torch, onnx or onnx-int8")
    build.add_argument("--skip-bad-files", action="store_true", help="skip unreadable pages with a warning instead of stopping")
    build.add_argument("--force", action="store_true", help="write a new version even if nothing changed")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(handler=run_build)

    search = sub.add_parser("search", help="answer a question (or a batch of them)", description="Find the passages that answer a question.")
    search.add_argument("question", nargs="?", help="the question, in your own words")
    search.add_argument("--batch", type=Path, help="JSONL file: one question a line, with 'id'/'_id' and 'question'/'text'")
    search.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    search.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    search.add_argument("--mode", choices=("hybrid", "dense", "lexical"), default="hybrid", help="retrieval mode (default hybrid)")
    search.add_argument("--json", action="store_true", help="print JSON instead of readable text")
    search.set_defaults(handler=run_search)
    return parser


# --------------------------------------------------------------------------- build


def run_build(args: argparse.Namespace) -> int:
    from .build import BuildSettings, build_index
    from .encode import DEFAULT_BACKEND

    settings = BuildSettings(backend=args.backend or DEFAULT_BACKEND, skip_bad_files=args.skip_bad_files)
    with _progress_bar(disabled=args.quiet) as progress:
        report = build_index(args.corpus, args.index, settings, progress=progress, force=args.force)
    print(format_build_report(report))
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


def format_build_report(report: BuildReport) -> str:
    if report.nothing_changed:
        lines = [f"Nothing changed: index {report.version} is up to date ({report.passages} passages, {report.seconds:.2f} s)."]
    else:
        lines = [
            f"Built index {report.version} in {report.seconds:.1f} s.",
            f"  pages: {len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
            f"{report.unchanged} unchanged",
            f"  passages: {report.passages} ({report.embedded} embedded, {report.reused} reused from the cache)",
        ]
        for label, names in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
            if names:
                shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
                lines.append(f"  {label}: {shown}")
        if report.over_token_limit:
            lines.append(
                f"  warning: {len(report.over_token_limit)} passages are longer than the model reads "
                f"(256 word pieces); their ends are not embedded"
            )
    lines.extend(f"  warning: {w}" for w in report.warnings)
    return "\n".join(lines)


# --------------------------------------------------------------------------- search


def run_search(args: argparse.Namespace) -> int:
    if args.batch is None and not (args.question or "").strip():
        raise QueryError("the question is empty; usage: nets-search search \"QUESTION\"")
    from .search import Searcher

    searcher = Searcher(args.index)
    if args.batch is not None:
        for query_id, question in read_batch(args.batch):
            try:
                response = searcher.search(question, k=args.k, mode=args.mode)
                line = response.to_dict(query_id)
            except QueryError as exc:
                line = {"id": query_id, "query": question, "error": str(exc), "no_good_match": True, "results": []}
            print(json.dumps(line, ensure_ascii=False), flush=True)
        return 0
    response = searcher.search(args.question, k=args.k, mode=args.mode)
    print(json.dumps(response.to_dict(), ensure_ascii=False, indent=2) if args.json else format_response(response))
    return 0


def read_batch(path: Path) -> Iterator[tuple[str, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise NetsSearchError(f"{path}: batch file not found") from None
    except UnicodeDecodeError:
        raise NetsSearchError(f"{path}: not valid UTF-8 text") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise NetsSearchError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        query_id = record.get("id", record.get("_id")) if isinstance(record, dict) else None
        question = record.get("question", record.get("text")) if isinstance(record, dict) else None
        if query_id is None or not isinstance(question, str):
            raise NetsSearchError(f"{path}:{number}: each line needs an 'id' (or '_id') and a 'question' (or 'text')")
        yield str(query_id), question


def format_response(response: SearchResponse) -> str:
    lines = []
    if response.truncated:
        lines.append(f"(a long question: searched its first {len(response.searched_text)} characters)")
    if response.no_good_match:
        lines.append("Our NETs information does not seem to cover this. The nearest passages:")
    for result in response.results:
        p = result.passage
        lines.append(f"{result.rank}. {p.breadcrumb}  [{result.score:.3f}]")
        lines.extend("   " + line for line in p.text.splitlines())
        if p.source:
            lines.append(f"   source: {p.source}")
        lines.append("")
    return "\n".join(lines).rstrip()


if __name__ == "__main__":
    sys.exit(main())
