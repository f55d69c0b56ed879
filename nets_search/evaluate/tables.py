"""Evaluation figures as tables for a terminal: the modes side by side, then the misses of one mode, for golden
questions (by tune/test part) and BEIR datasets."""

from __future__ import annotations

from typing import Mapping

from nets_search.evaluate.beir import BeirDataset, BeirScores
from nets_search.evaluate.golden_report import GOLDEN_DEPTH, GoldenMiss, GoldenReport


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
