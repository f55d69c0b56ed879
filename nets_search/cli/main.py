"""The `nets-search` command: build, search, eval. The only place where errors become messages."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nets_search.cli.evaluation import add_calibrate_parser, add_eval_parser
from nets_search.cli.options import DEFAULT_CORPUS, DEFAULT_INDEX, progress_bar
from nets_search.encode.encoder import BACKENDS
from nets_search.errors import NetsSearchError, QueryError, UnreadableFilesError
from nets_search.search import retrievers
from nets_search.types import SearchResponse, Urgency


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
    build.add_argument("--backend", default=None, choices=BACKENDS,
                       help="encoder backend (default onnx-int8, or NETS_SEARCH_BACKEND)")
    build.add_argument("--skip-bad-files", action="store_true",
                       help="publish the pages that can be read and list the others (a page already published keeps "
                            "its previous version); without it, a file that cannot be read stops the build and "
                            "nothing is published")
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
    """Strict by default: a file that cannot be read stops the build and nothing is published, so a script's exit
    status still says whether the index matches the corpus on disk. --skip-bad-files publishes the rest, as the
    editor panel always does, and the report lists what was left out."""
    from nets_search.build.build import BuildSettings
    from nets_search.encode.encoder import DEFAULT_BACKEND
    from nets_search.build.rebuild import rebuild_and_check

    settings = BuildSettings(backend=args.backend or DEFAULT_BACKEND, strict=not args.skip_bad_files)
    try:
        with progress_bar(disabled=args.quiet) as progress:
            done = rebuild_and_check(args.corpus, args.index, settings, progress=progress, force=args.force)
    except UnreadableFilesError as exc:
        raise UnreadableFilesError(f"{str(exc).rstrip('.')}. {NOTHING_PUBLISHED}") from None
    print(done.summary())
    return 0


NOTHING_PUBLISHED = ("Nothing was published: readers still see the version in use. To publish the other pages and "
                     "list these, build again with --skip-bad-files.")


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
    from nets_search.jsonl import read_lines
    from nets_search.search.batch import answer_lines, to_json_line
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
    """Readable answers. An urgent question's first line says whom to call and why, before any passage."""
    lines = [urgent_line(response.urgency)] if response.urgency.urgent else []
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


def urgent_line(urgency: Urgency) -> str:
    """What to do now, in plain words: 999 when it may be life-threatening, else 111 or the care team."""
    if urgency.call == "999":
        return f"Call 999 now: this may be an emergency ({urgency.reason})."
    return f"Get help now: call 111 or your care team's 24-hour line ({urgency.reason})."


if __name__ == "__main__":
    sys.exit(main())
