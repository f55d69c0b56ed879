"""Evaluation runs: a retriever's figures in each mode side by side (golden questions by tune/test part, BEIR
datasets), assembled as the JSON figures file holds them and written atomically. `nets-search eval` parses its
arguments, calls these and prints; tables.py formats what they return.

Nothing here knows how a retriever works. A retriever is anything callable as `search(question, k, mode)` that
returns a `SearchResponse` (the signature of `Searcher.search`), so the page, the CLI and the evaluation all
judge the same code path.
"""

from __future__ import annotations

import errno
import json
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

from nets_search.atomic_write import replace_file
from nets_search.corpus.files import corpus_question_files
from nets_search.errors import EvaluationError
from nets_search.evaluate.beir import BEIR_DEPTH, BeirDataset, BeirScores, evaluate_beir
from nets_search.evaluate.golden import GoldenQuestion, load_golden
from nets_search.evaluate.golden_report import GOLDEN_DEPTH, GoldenReport, evaluate_golden
from nets_search.evaluate.metrics import PARTS, split_parts
from nets_search.evaluate.tables import format_beir_table, format_golden_table
from nets_search.types import SearchResponse

ModeSearch = Callable[[str, int, str], SearchResponse]  # (question, k, mode), as Searcher.search
Show = Callable[[str], None]  # where a finished table goes (the CLI prints it)

SHARED_GOLDEN = Path("../shared/data/nets-dev-questions.jsonl")  # the development set, when checked out beside us


def compare_golden(search: ModeSearch, questions: Sequence[GoldenQuestion], modes: Sequence[str]) -> dict[str, GoldenReport]:
    """The same questions in each retrieval mode, for a side-by-side table."""
    return {mode: evaluate_golden(lambda text, m=mode: search(text, GOLDEN_DEPTH, m), questions) for mode in modes}


def compare_golden_parts(search: ModeSearch, questions: Sequence[GoldenQuestion], modes: Sequence[str]) -> dict[str, dict[str, GoldenReport]]:
    """{part: {mode: report}} for the tune and test parts of one question set (a part with no questions is left out)."""
    parts = split_parts(questions, key=lambda q: q.id)
    return {part: compare_golden(search, items, modes) for part, items in parts.items() if items}


def compare_beir(search: ModeSearch, dataset: BeirDataset, modes: Sequence[str], limit: int | None = None,
                 part: str | None = None) -> dict[str, BeirScores]:
    return {mode: evaluate_beir(lambda text, m=mode: search(text, BEIR_DEPTH, m), dataset, limit, part) for mode in modes}


# --------------------------------------------------------------------------- one run's figures


def default_golden_files(corpus: Path) -> list[Path]:
    """The corpus's labelled question files, plus the shared development set if it is checked out beside us."""
    return corpus_question_files(corpus) + ([SHARED_GOLDEN] if SHARED_GOLDEN.is_file() else [])


def load_golden_sets(paths: Sequence[Path]) -> dict[str, list[GoldenQuestion]]:
    """{file name as given: its questions}, every file read (and any error raised) before anything is asked."""
    return {str(path): load_golden(path) for path in paths}


def beir_index_folder(dataset: BeirDataset) -> Path:
    """Where a BEIR dataset's own index is kept unless one is named."""
    return Path(f"index-beir-{dataset.name}")


def open_searcher(index: Path, encoder):
    """The Searcher of `index`, asking with `encoder` (a SharedEncoder: one model for the build and every searcher)."""
    from nets_search.search.searcher import Searcher

    return Searcher(index, encoder=encoder.get())


def backend_mismatch(index: Path, searcher, encoder) -> str | None:
    """A warning when `index` was built on another backend than the queries run on, else None."""
    from nets_search.encode.encoder import base_backend

    if base_backend(searcher.manifest.backend) == base_backend(encoder.get().backend):
        return None
    return (f"{index} was built on the {searcher.manifest.backend} backend, queries run on "
            f"{encoder.get().backend}; scores may differ slightly from the page's")


def new_figures(modes: Sequence[str]) -> dict:
    """The figures file before any figure is in it."""
    return {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "modes": list(modes), "golden": {}, "beir": {}}


def golden_figures(searcher, label: str, questions: Sequence[GoldenQuestion], modes: Sequence[str], index: Path,
                   show: Show) -> dict:
    """One golden file's figures, by part and mode; each part's table goes to `show` as soon as it is done."""
    parts = compare_golden_parts(searcher.search, questions, modes)
    for part, reports in parts.items():
        show(format_golden_table(f"{label} [{part}]", reports))
    return {
        "index": str(index),
        "index_version": searcher.version,
        "parts": {part: {mode: r.to_dict() for mode, r in reports.items()} for part, reports in parts.items()},
    }


def beir_figures(searcher, dataset: BeirDataset, modes: Sequence[str], limit: int | None, folder: Path, index: Path,
                 show: Show) -> dict:
    """One BEIR dataset's figures, by part (tune, test) and mode; each part's table goes to `show`."""
    parts = {part: compare_beir(searcher.search, dataset, modes, limit, part) for part in PARTS}
    for part, reports in parts.items():
        show(format_beir_table(dataset, reports, f"{index}/; {part} part"))
    return {
        "folder": str(folder),
        "split": dataset.split,
        "index": str(index),
        "index_version": searcher.version,
        "limit": limit,
        "parts": {part: {mode: r.to_dict() for mode, r in reports.items()} for part, reports in parts.items()},
    }


def write_json(path: Path, figures: Mapping) -> None:
    """Write the figures atomically (atomic_write.replace_file: a reader never sees half a file). A failure (a full
    disk, a read-only folder) leaves no new file behind and raises EvaluationError in one line naming the file."""
    path = Path(path)
    data = (json.dumps(figures, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, data, suffix=".partial")
    except OSError as exc:
        hint = "; free some space, then run it again" if exc.errno == errno.ENOSPC else ""
        raise EvaluationError(f"{path}: could not write the figures ({exc.strerror or exc}){hint}") from None
