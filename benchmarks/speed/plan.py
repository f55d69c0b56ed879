"""The command line of bench.py and the sizes of one run (a frozen Plan every section reads)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from nets_search.errors import IndexMissingError, NetsSearchError
from nets_search.index import store

from .files import MEDQUAD_INDEX, REPO

SECTIONS = ("latency", "throughput", "build", "rebuild", "cold", "ann", "backends")
SHARED_MEDQUAD = REPO.parent / "shared" / "data" / "medquad"
DEFAULT_OUT = REPO / "benchmarks" / "results" / "latest.json"


@dataclass(frozen=True)
class Plan:
    """Sizes of one run, from the command line."""

    quick: bool
    sections: tuple[str, ...]
    questions: int
    medquad: Path | None  # folder with corpus.jsonl and queries.jsonl, or None
    medquad_index: Path | None  # a finished index of the whole MedQuAD corpus, or None
    medquad_docs: int
    generated_docs: int
    ann_sizes: tuple[int, ...]
    ann_queries: int
    backend_queries: int
    backend_windows: int
    cold_runs: int
    model_cache: Path
    work: Path
    out: Path


def make_parser(doc: str) -> argparse.ArgumentParser:
    """The options of bench.py; `doc` (the script's docstring) gives the description and the epilog."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0], epilog=doc.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--quick", action="store_true", help="small numbers everywhere (development, tests)")
    add("--only", default=",".join(SECTIONS), help=f"comma-separated sections (default all: {','.join(SECTIONS)})")
    add("--no-medquad", action="store_true",
        help="ignore ../shared/data/medquad and index-beir-medquad/ (seed corpus and generated data only)")
    add("--medquad-dir", type=Path, default=SHARED_MEDQUAD,
        help="folder with MedQuAD corpus.jsonl and queries.jsonl (default ../shared/data/medquad)")
    add("--medquad-index", type=Path, default=MEDQUAD_INDEX,
        help="index of the whole MedQuAD corpus (default index-beir-medquad/)")
    add("--medquad-docs", type=int, help="documents of the larger build corpus (default 1500; --quick 200)")
    add("--generated-docs", type=int, help="pages of the generated corpus used without MedQuAD (default 400; --quick 30)")
    add("--questions", type=int,
        help="distinct questions per latency measurement (default 300; --quick 200; at least 200)")
    add("--ann-sizes",
        help="synthetic vector counts, comma-separated (default 100000,300000,1000000; --quick 2000,10000)")
    add("--ann-queries", type=int, help="timed queries per ANN measurement (default 200; --quick 50)")
    add("--backend-queries", type=int, help="questions per encoder backend (default 200; --quick 50)")
    add("--backend-windows", type=int, help="180-word windows per encoder backend (default 256; --quick 32)")
    add("--cold-runs", type=int,
        help="fresh processes per cold-start figure; the median is reported (default 3; --quick 1)")
    add("--model-cache", type=Path, default=Path.home() / ".cache" / "nets-search",
        help="where ONNX exports are kept between runs (default: the engine's own default, ~/.cache/nets-search)")
    add("--work-dir", type=Path,
        help="parent of the temporary working folder (default: the system's temp folder)")
    add("--out", type=Path, default=DEFAULT_OUT, help="JSON output (default benchmarks/results/latest.json)")
    return parser


def make_plan(args: argparse.Namespace, work: Path, notes: list[str]) -> Plan:
    """The run's sizes: what was asked, else the --quick or full defaults; `notes` says what had to be left out."""
    quick = args.quick
    sections = parse_sections(args.only)  # first: a wrong name fails before the MedQuAD corpus is read
    medquad = _medquad_folder(None if args.no_medquad else args.medquad_dir.resolve(), notes)
    medquad_index = _medquad_index(medquad, args.medquad_index.resolve(), notes)
    questions = args.questions or (200 if quick else 300)
    if questions < 200:
        notes.append(f"--questions {questions} is under the 200 the issue asks for")
    sizes = args.ann_sizes or ("2000,10000" if quick else "100000,300000,1000000")
    return Plan(
        quick=quick,
        sections=sections,
        questions=questions,
        medquad=medquad,
        medquad_index=medquad_index,
        medquad_docs=args.medquad_docs or (200 if quick else 1500),
        generated_docs=args.generated_docs or (30 if quick else 400),
        ann_sizes=tuple(int(s) for s in sizes.split(",") if s.strip()),
        ann_queries=args.ann_queries or (50 if quick else 200),
        backend_queries=args.backend_queries or (50 if quick else 200),
        backend_windows=args.backend_windows or (32 if quick else 256),
        cold_runs=args.cold_runs or (1 if quick else 3),
        model_cache=args.model_cache.expanduser().resolve(),
        work=work,
        out=args.out.resolve(),
    )


def parse_sections(only: str) -> tuple[str, ...]:
    sections = tuple(s.strip() for s in only.split(",") if s.strip())
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    return sections


def _medquad_folder(folder: Path | None, notes: list[str]) -> Path | None:
    if folder is not None and not ((folder / "corpus.jsonl").is_file() and (folder / "queries.jsonl").is_file()):
        notes.append(f"MedQuAD not found in {folder}: generated questions and a generated corpus are used")
        return None
    return folder


def _medquad_index(medquad: Path | None, index: Path, notes: list[str]) -> Path | None:
    if medquad is None:
        return None
    found, why = _finished_medquad_index(index, medquad / "corpus.jsonl")
    if found is None:
        notes.append(f"MedQuAD index skipped: {why}")
    return found


def _finished_medquad_index(index: Path, corpus: Path) -> tuple[Path | None, str]:
    """The MedQuAD index if a build of the whole corpus has finished there, else (None, why)."""
    try:
        manifest, _ = store.open_current(index)
    except IndexMissingError:
        building = (index / "cache" / "embeddings.sqlite").is_file()
        return None, f"{index} has no finished version{' (a build may still be running)' if building else ''}"
    except NetsSearchError as exc:
        return None, f"{index} cannot be opened: {exc}"
    documents = sum(1 for line in corpus.open(encoding="utf-8") if line.strip())
    if len(manifest.files) < documents:
        return None, f"{index} holds {len(manifest.files)} of the corpus's {documents} documents"
    return index, ""
