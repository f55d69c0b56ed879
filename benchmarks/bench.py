#!/usr/bin/env python
"""NETs Search speed benchmark: the project against a naive baseline, side by side, in one run.

    python benchmarks/bench.py                    # full run (tens of minutes on 2 cores; run on a quiet machine)
    python benchmarks/bench.py --quick            # smaller numbers everywhere (a few minutes)
    python benchmarks/bench.py --quick --no-medquad --only latency,build   # seed corpus only, two sections

Prints a table and writes JSON (default benchmarks/results/latest.json). Compare timings only as the ratios of
one run: CPUs differ between machines of the same kind. The naive baseline is what a small team would write
first: sentence-transformers on PyTorch (`SentenceTransformer(model_dir(), device="cpu")`, the same bundled
model) and `faiss.IndexFlatIP`, over plain 180-word windows of every document.

Sections (see --only):
  latency   warm query latency p50/p95 over distinct questions: `Searcher.search(q, k=5)` (hybrid) against the
            baseline (encode on PyTorch + IndexFlatIP over the same passage vectors), on the seed index and on
            the MedQuAD index (index-beir-medquad/) when it is built. Order A B C over one half of the
            questions and C B A over the other, so a change in background load hits every system alike.
  throughput searches/s with 1 and 2 clients (threads sharing one loaded system), project against the peer.
  build     full build, fresh index folder and empty embedding cache, default backend, model preloaded (its
            load time is reported apart), against the baseline; seed corpus and a larger corpus (the first
            --medquad-docs MedQuAD documents, or a generated corpus without ../shared).
  rebuild   on a copy of the large corpus whose embedding cache is copied from index-beir-medquad/: full build
            from the cache, edit one page (in-process with the model preloaded, and as `nets-search build`),
            delete one page, nothing changed (`nets-search build`, and whether torch/transformers were imported).
  cold      process start to the first answered question: `nets-search search` (first line of output) and the
            page (benchmarks/page_probe.py: app.py through Streamlit's AppTest with ?q=..., in a fresh process),
            with the page process's own peak memory (VmHWM) and the index size on disk per passage.
  ann       flat against HNSW (nets_search.index.faiss_vectors settings): recall@10 of HNSW against exact search and the
            time of one query (k = the searcher's candidate count) on the MedQuAD vectors with real query
            vectors, and on synthetic normalised vectors (--ann-sizes) with HNSW build time.
  backends  torch, onnx and onnx-int8 encoders: one-question encode time p50, passages/s on 180-word windows,
            and the largest cosine drift from torch.

Each section is one module of benchmarks/speed/ (its docstring says what it measures and why).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

# Before anything imports the model's libraries: offline, and every question timed as a new one (no recent-question
# cache; see speed/latency.py).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("NETS_SEARCH_QUERY_CACHE", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this working tree

import report  # noqa: E402
from speed.plan import make_parser, make_plan  # noqa: E402
from speed.run import json_default, run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run the sections asked for, print the tables, write the JSON; 1 when a section failed."""
    args = make_parser(__doc__).parse_args(argv)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="nets-bench-", dir=args.work_dir) as work:
        plan = make_plan(args, Path(work), notes)
        results = run(plan, notes)
    plan.out.parent.mkdir(parents=True, exist_ok=True)
    plan.out.write_text(json.dumps(results, indent=2, default=json_default), encoding="utf-8")
    report.print_report(results)
    print(f"\nJSON written to {plan.out}")
    return 1 if any(isinstance(v, dict) and "error" in v for v in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
