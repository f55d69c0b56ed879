#!/usr/bin/env python
"""Where a question's time goes: one built index, warm, one question at a time.

    python benchmarks/profile_search.py --index index-beir-medquad2000 --out docs/profile-search.json

First the wall time of `Searcher.search(q, k=5)` per question (p50/p95, recent-question cache off), then the same
questions under cProfile: each step of a search as a share of the profiled total (the two encodes, question
analysis, the retrievers, fusion, sentence scores and best sentences, the no-good-match evidence), and the
functions that spent the most time themselves. cProfile slows Python code more than native code, so the shares of
the Python steps are upper bounds; the wall times come from the run without it.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

# The steps of one search: functions of the search sub-package (nets_search/search/), found in the profile by
# name in any of its modules, so a function may move between them. A step whose function is gone is reported as
# missing rather than as 0 s (tests/test_benchmarks.py checks that each is still defined there).
SEARCH_PACKAGE = REPO / "nets_search" / "search"
STEPS = {
    "encode (question and its variant)": "_question_vector",
    "encode (glossary expansions)": "_expansion_vectors_for",
    "question analysis (normalise, typos, terms)": "prepare",
    "retrievers (BM25, vector candidates, sentence scores)": "_run_retrievers",
    "fusion": "_fuse",
    "best sentence": "_best_sentence",
    "no-good-match evidence": "_evidence",
}


def questions_from(path: Path, count: int) -> list[str]:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [line["text"] for line in lines][:count]


def wall_times(search, questions: list[str]) -> dict:
    times = []
    for question in questions:
        started = time.perf_counter()
        search(question, k=5)
        times.append((time.perf_counter() - started) * 1000.0)
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)), "n": len(times)}


def step_shares(stats: pstats.Stats, total: float) -> dict:
    """Cumulative seconds of each step's function, as a share of the profiled total; None for a step whose
    function never ran."""
    out = {}
    for step, name in STEPS.items():
        rows = [row for (file, _, func), row in stats.stats.items() if func == name and _in_search_package(file)]
        seconds = sum(row[3] for row in rows)
        out[step] = {"seconds": round(seconds, 4), "share": round(seconds / total, 4)} if rows else None
    return out


def _in_search_package(file: str) -> bool:
    return Path(file).resolve().parent == SEARCH_PACKAGE


def top_functions(stats: pstats.Stats, count: int = 15) -> list[dict]:
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:count]
    return [{"function": f"{Path(file).name}:{line}({func})", "own_seconds": round(row[2], 4), "calls": row[1]}
            for (file, line, func), row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=REPO.parent / "shared" / "data" / "medquad" / "queries.jsonl")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "profile-search.json")
    args = parser.parse_args()
    os.environ["NETS_SEARCH_QUERY_CACHE"] = "0"  # every question encoded, as a new reader's would be
    from nets_search.search.searcher import Searcher

    searcher = Searcher(args.index)
    questions = questions_from(args.questions, args.count)
    for question in questions[:10]:
        searcher.search(question, k=5)
    wall = wall_times(searcher.search, questions)
    profile = cProfile.Profile()
    profile.enable()
    for question in questions:
        searcher.search(question, k=5)
    profile.disable()
    stats = pstats.Stats(profile)
    total = stats.total_tt
    result = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "index": str(args.index),
              "passages": len(searcher.passages), "backend": searcher.manifest.backend, "wall": wall,
              "profiled_seconds": round(total, 3), "steps": step_shares(stats, total), "top_functions": top_functions(stats)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{len(questions)} questions on {result['passages']} passages: p50 {wall['p50_ms']:.2f} ms, p95 {wall['p95_ms']:.2f} ms")
    for step, figure in result["steps"].items():
        print(f"  {figure['share']:6.1%}  {step}" if figure else f"  missing  {step} (its function never ran: see STEPS)")
    print(f"JSON written to {args.out}")


if __name__ == "__main__":
    main()
