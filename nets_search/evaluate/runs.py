"""Evaluation runs: a retriever's figures in each mode side by side (golden questions by tune/test part, BEIR
datasets), printed as tables and written as JSON. The parts live in their own modules: `metrics` (metrics and the
tune/test split), `golden` (golden questions and the post-build check) and `beir` (BEIR datasets); their names are
also reachable from here.

Nothing here knows how a retriever works. A retriever is anything callable as `search(question, k, mode)` that
returns a `SearchResponse` (the signature of `Searcher.search`), so the page, the CLI and the evaluation all
judge the same code path.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Callable, Mapping, Sequence

from nets_search.atomic_write import replace_file
from nets_search.evaluate.beir import BEIR_CUTOFFS, BEIR_DEPTH, BeirDataset, BeirScores, evaluate_beir, load_beir  # noqa: F401
from nets_search.errors import EvaluationError  # noqa: F401
from nets_search.evaluate.golden import (GOLDEN_DEPTH, GOLDEN_FILE_NAME, GOLDEN_STATE_FILE, GoldenMiss, GoldenQuestion,  # noqa: F401
                     GoldenReport, check_golden_questions, evaluate_golden, golden_regressions, load_golden,
                     passage_matches)
from nets_search.evaluate.metrics import PARTS, SPLIT_SEED, mrr_at_k, ndcg_at_k, part_of, recall_at_k, split_parts  # noqa: F401
from nets_search.types import SearchResponse

ModeSearch = Callable[[str, int, str], SearchResponse]  # (question, k, mode), as Searcher.search


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


# --------------------------------------------------------------------------- reports


_INTERVAL_NAMES = {"best_sentence": "best sentence", "out_of_scope_caught": "out-of-scope flagged",
                   "in_scope_flagged": "in-scope flagged"}  # as the table's columns say


def format_golden_table(label: str, reports: Mapping[str, GoldenReport], misses_of: str | None = None) -> str:
    """A side-by-side table of the modes, then the misses of mode `misses_of` (default: the first mode)."""
    first = next(iter(reports.values()))
    lines = [
        f"Golden questions: {label} ({first.in_scope} in scope, {first.out_of_scope} out of scope)",
        f"  {'mode':<8} {'hit@1':>6} {'hit@3':>6} {'MRR@5':>6}   {'out-of-scope flagged':>20}   {'in-scope flagged':>16}"
        f"   {'best sentence':>13}   {'off-topic called strong/good':>28}",
    ]
    for mode, r in reports.items():
        lines.append(
            f"  {mode:<8} {r.hit_at_1:6.3f} {r.hit_at_3:6.3f} {r.mrr_at_5:6.3f}   "
            f"{f'{r.out_of_scope_flagged}/{r.out_of_scope}':>20}   {f'{r.in_scope_flagged}/{r.in_scope}':>16}"
            f"   {f'{r.best_sentence_hits}/{r.best_sentence_asked}':>13}"
            f"   {f'{r.out_of_scope_labelled_sure}/{r.out_of_scope}':>28}"
        )
    mode = misses_of if misses_of in reports else next(iter(reports))
    lines.append(f"  95% intervals in {mode} mode (few questions give wide ones): " + "; ".join(
        f"{_INTERVAL_NAMES.get(name, name)} {low:.2f}-{high:.2f}" for name, (low, high) in reports[mode].intervals().items()))
    misses = reports[mode].misses
    lines.append(f"  misses in {mode} mode: {len(misses)}" + (" (other modes' misses are in the JSON file)" if len(reports) > 1 and misses else ""))
    for miss in misses:
        lines.extend("    " + line for line in _format_miss(miss))
    return "\n".join(lines)


def _format_miss(miss: GoldenMiss) -> list[str]:
    where = f"answer at rank {miss.rank}" if miss.rank else f"answer not in the top {GOLDEN_DEPTH}"
    wanted = " | ".join(" + ".join(f'"{p}"' for p in alt) for alt in miss.expect)
    won = miss.winner
    shown = "(no results)" if won is None else f"{won.breadcrumb}: {_clip(won.text)}"
    return [f"[{miss.id}] {miss.question!r} - {where}", f"  expected: {wanted}", f"  ranked first: {shown}"]


def _clip(text: str, width: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def format_beir_table(dataset: BeirDataset, reports: Mapping[str, BeirScores], index_label: str = "") -> str:
    first = next(iter(reports.values()))
    title = f"BEIR: {dataset.name} (split {dataset.split}, {first.queries} queries" + (f"; index {index_label}" if index_label else "") + ")"
    lines = [title, f"  {'mode':<8} {'nDCG@10':>8} {'MRR@10':>8} {'R@10':>8} {'R@100':>8} {'q/s':>7}"]
    for mode, r in reports.items():
        m = r.metrics
        rate = r.queries / r.seconds if r.seconds else 0.0
        lines.append(
            f"  {mode:<8} {m['ndcg@10'].mean:8.3f} {m['mrr@10'].mean:8.3f} {m['recall@10'].mean:8.3f} "
            f"{m['recall@100'].mean:8.3f} {rate:7.1f}"
        )
    skipped = len(first.metrics["ndcg@10"].skipped)
    if skipped:
        lines.append(f"  {skipped} queries have no relevant document in the qrels and were skipped")
    return "\n".join(lines)


def write_json(path: Path, figures: dict) -> None:
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
