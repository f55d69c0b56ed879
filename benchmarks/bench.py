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
            the MedQuAD index (index-beir-medquad/) when it is built. Order A B B A over two halves of the
            questions, so a change in background load hits both systems alike.
  build     full build, fresh index folder and empty embedding cache, default backend, model preloaded (its
            load time is reported apart), against the baseline; seed corpus and a larger corpus (the first
            --medquad-docs MedQuAD documents, or a generated corpus without ../shared).
  rebuild   on a copy of the large corpus whose embedding cache is copied from index-beir-medquad/: full build
            from the cache, edit one page (in-process with the model preloaded, and as `nets-search build`),
            delete one page, nothing changed (`nets-search build`, and whether torch/transformers were imported).
  cold      process start to the first answered question: `nets-search search` (first line of output) and the
            page (benchmarks/page_probe.py: app.py through Streamlit's AppTest with ?q=..., in a fresh process),
            with the page process's own peak memory (VmHWM) and the index size on disk per passage.
  ann       flat against HNSW (nets_search.index.vectors settings): recall@10 of HNSW against exact search and the
            time of one query (k = the searcher's candidate count) on the MedQuAD vectors with real query
            vectors, and on synthetic normalised vectors (--ann-sizes) with HNSW build time.
  backends  torch, onnx and onnx-int8 encoders: one-question encode time p50, passages/s on 180-word windows,
            and the largest cosine drift from torch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("NETS_SEARCH_QUERY_CACHE", "0")  # time every question as a new one (see measure_latency)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # measure this working tree

import faiss  # noqa: E402
import numpy as np  # noqa: E402

import report  # noqa: E402
import workloads  # noqa: E402
from nets_search.encode import encoder as encode
from nets_search.index import store  # noqa: E402
from nets_search.build.build import BuildSettings, build_index  # noqa: E402
from nets_search.search.searcher import CANDIDATES, Searcher  # noqa: E402
from nets_search.index.vectors import HNSW_EF_SEARCH, HNSW_M, HNSW_THRESHOLD, FaissVectors, engine_of, open_vectors  # noqa: E402

SECTIONS = ("latency", "throughput", "build", "rebuild", "cold", "ann", "backends")
SHARED_MEDQUAD = REPO.parent / "shared" / "data" / "medquad"
MEDQUAD_INDEX = REPO / "index-beir-medquad"
SEED_CORPUS = REPO / "corpus"
K = 5
RECALL_AT = 10


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


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="nets-bench-", dir=args.work_dir) as work:
        plan = make_plan(args, Path(work), notes)
        results = run(plan, notes)
    plan_out = plan.out
    plan_out.parent.mkdir(parents=True, exist_ok=True)
    plan_out.write_text(json.dumps(results, indent=2, default=_json_default), encoding="utf-8")
    report.print_report(results)
    print(f"\nJSON written to {plan_out}")
    return 1 if any(isinstance(v, dict) and "error" in v for v in results.values()) else 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--quick", action="store_true", help="small numbers everywhere (development, tests)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections (default all: {','.join(SECTIONS)})")
    parser.add_argument("--no-medquad", action="store_true", help="ignore ../shared/data/medquad and index-beir-medquad/ (seed corpus and generated data only)")
    parser.add_argument("--medquad-dir", type=Path, default=SHARED_MEDQUAD, help="folder with MedQuAD corpus.jsonl and queries.jsonl (default ../shared/data/medquad)")
    parser.add_argument("--medquad-index", type=Path, default=MEDQUAD_INDEX, help="index of the whole MedQuAD corpus (default index-beir-medquad/)")
    parser.add_argument("--medquad-docs", type=int, help="documents of the larger build corpus (default 1500; --quick 200)")
    parser.add_argument("--generated-docs", type=int, help="pages of the generated corpus used without MedQuAD (default 400; --quick 30)")
    parser.add_argument("--questions", type=int, help="distinct questions per latency measurement (default 300; --quick 200; at least 200)")
    parser.add_argument("--ann-sizes", help="synthetic vector counts, comma-separated (default 100000,300000,1000000; --quick 2000,10000)")
    parser.add_argument("--ann-queries", type=int, help="timed queries per ANN measurement (default 200; --quick 50)")
    parser.add_argument("--backend-queries", type=int, help="questions per encoder backend (default 200; --quick 50)")
    parser.add_argument("--backend-windows", type=int, help="180-word windows per encoder backend (default 256; --quick 32)")
    parser.add_argument("--cold-runs", type=int, help="fresh processes per cold-start figure; the median is reported (default 3; --quick 1)")
    parser.add_argument("--model-cache", type=Path, default=Path.home() / ".cache" / "nets-search", help="where ONNX exports are kept between runs (default: the engine's own default, ~/.cache/nets-search)")
    parser.add_argument("--work-dir", type=Path, help="parent of the temporary working folder (default: the system's temp folder)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json", help="JSON output (default benchmarks/results/latest.json)")
    return parser


def make_plan(args: argparse.Namespace, work: Path, notes: list[str]) -> Plan:
    quick = args.quick
    sections = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    medquad = None if args.no_medquad else args.medquad_dir.resolve()
    if medquad is not None and not ((medquad / "corpus.jsonl").is_file() and (medquad / "queries.jsonl").is_file()):
        notes.append(f"MedQuAD not found in {medquad}: generated questions and a generated corpus are used")
        medquad = None
    medquad_index = None
    if medquad is not None:
        medquad_index, why = _finished_medquad_index(args.medquad_index.resolve(), medquad / "corpus.jsonl")
        if medquad_index is None:
            notes.append(f"MedQuAD index skipped: {why}")
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


def _finished_medquad_index(index: Path, corpus: Path) -> tuple[Path | None, str]:
    """The MedQuAD index if a build of the whole corpus has finished there, else (None, why)."""
    version = store.current_version(index)
    if version is None:
        building = (index / "cache" / "embeddings.sqlite").is_file()
        return None, f"{index} has no finished version{' (a build may still be running)' if building else ''}"
    manifest = store.read_manifest(store.version_dir(index, version))
    documents = sum(1 for line in corpus.open(encoding="utf-8") if line.strip())
    if len(manifest.files) < documents:
        return None, f"{index} holds {len(manifest.files)} of the corpus's {documents} documents"
    return index, ""


# --------------------------------------------------------------------------- the run


class Models:
    """The encoders of one run, loaded once each (load seconds recorded): project encoders per backend, and the
    naive baseline's plain SentenceTransformer."""

    def __init__(self, cache: Path, work: Path, notes: list[str]) -> None:
        self.cache = cache
        self.work = work
        self.notes = notes
        self.load_seconds: dict[str, float] = {}
        self._encoders: dict[str, encode.Encoder] = {}
        self._baseline = None
        self._peer = None

    def encoder(self, backend: str = encode.DEFAULT_BACKEND) -> encode.Encoder:
        backend = encode.base_backend(backend)
        if backend not in self._encoders:
            started = time.perf_counter()
            loaded = encode.Encoder(backend, cache_dir=self.cache)
            if backend.startswith("onnx") and loaded.backend == "torch":
                # The export into the shared cache failed (the engine fell back to PyTorch): try once in a fresh
                # folder, so the backend's own figures are still measured, and say so.
                loaded = encode.Encoder(backend, cache_dir=self.work / "fresh-model-cache")
                self.notes.append(f"{backend}: export into {self.cache} failed (engine fell back to PyTorch); "
                                  f"exported into a fresh folder instead: loaded as {loaded.backend}")
            self._encoders[backend] = loaded
            self.load_seconds[f"project:{backend}"] = time.perf_counter() - started
        return self._encoders[backend]

    def baseline(self):
        if self._baseline is None:
            from sentence_transformers import SentenceTransformer

            started = time.perf_counter()
            self._baseline = SentenceTransformer(str(encode.model_dir()), device="cpu")
            self.load_seconds["baseline:torch"] = time.perf_counter() - started
        return self._baseline


    def peer(self):
        """The strong peer: sentence-transformers' own ONNX backend on the int8 export for this CPU (the file the
        engine uses, made by `export_dynamic_quantized_onnx_model`), with ONNX Runtime's default session settings."""
        if self._peer is None:
            from sentence_transformers import SentenceTransformer

            from nets_search.encode.onnx_export import export_folder, onnx_file_name

            folder = export_folder(str(encode.model_dir()), "onnx-int8", self.cache)
            started = time.perf_counter()
            self._peer = SentenceTransformer(str(folder), backend="onnx", device="cpu", local_files_only=True,
                                             model_kwargs={"file_name": onnx_file_name("onnx-int8")})
            self.load_seconds["peer:onnx-int8"] = time.perf_counter() - started
        return self._peer


def run(plan: Plan, notes: list[str]) -> dict:
    started = time.perf_counter()
    _seed_model_cache(plan.model_cache)
    models = Models(plan.model_cache, plan.work, notes)
    context = _Context(plan, models, notes)
    results: dict = {"meta": meta(plan)}
    steps: dict[str, Callable[[], dict]] = {
        "backends": context.backends,  # first: loads every encoder once (exports ONNX if needed)
        "build": context.build,
        "latency": context.latency,
        "throughput": context.throughput,
        "rebuild": context.rebuild,
        "cold": context.cold,
        "ann": context.ann,
    }
    for name, step in steps.items():
        if name not in plan.sections:
            continue
        _say(f"{name} …")
        section_started = time.perf_counter()
        try:
            results[name] = step()
        except Exception as exc:  # one failing section must not lose the others' figures
            traceback.print_exc()
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        _say(f"{name} done in {time.perf_counter() - section_started:.0f} s")
    results["meta"]["load_seconds"] = models.load_seconds
    results["meta"]["machine"]["load_average_at_end"] = os.getloadavg()
    busy = max(results["meta"]["machine"]["load_average_at_start"][0], os.getloadavg()[0])
    if busy > 0.5 * (os.cpu_count() or 1):
        notes.append(f"the machine was busy (load average up to {busy:.1f} on {os.cpu_count()} cores): other work "
                     "shares the CPU, PyTorch suffers most from that; rerun on a quiet machine before quoting figures")
    results["meta"]["run_seconds"] = time.perf_counter() - started
    results["targets"] = report.targets(results)
    results["notes"] = notes
    return results


class _Context:
    """State shared by the sections of one run: the plan, the models, the corpora and indexes built so far."""

    def __init__(self, plan: Plan, models: Models, notes: list[str]) -> None:
        self.plan = plan
        self.models = models
        self.notes = notes
        self._questions: list[str] | None = None
        self._large: Path | None = None
        self._seed_index: Path | None = None
        self._large_index: Path | None = None

    # ----------------------------------------------------------------- shared inputs

    def questions(self, count: int | None = None) -> list[str]:
        """Distinct questions: MedQuAD dev when present, else generated from the seed corpus; a few extra
        (never timed) come first for warm-up."""
        if self._questions is None:
            need = self.plan.questions + 10
            if self.plan.medquad is not None:
                found = workloads.medquad_questions(self.plan.medquad / "queries.jsonl")
                self._questions, self.question_source = found[:need], "MedQuAD dev queries"
            else:
                self._questions, self.question_source = workloads.seed_questions(SEED_CORPUS, need), "generated from the seed corpus"
        return self._questions[10:][: count or self.plan.questions]

    def warmup_questions(self) -> list[str]:
        self.questions()
        return self._questions[:10]

    def large_corpus(self) -> Path:
        if self._large is None:
            self._large = self.plan.work / "large-corpus.jsonl"
            if self.plan.medquad is not None:
                count = workloads.first_jsonl_docs(self.plan.medquad / "corpus.jsonl", self._large, self.plan.medquad_docs)
                self.large_source = f"first {count} MedQuAD documents"
            else:
                count = workloads.generated_corpus(SEED_CORPUS, self._large, self.plan.generated_docs)
                self.large_source = f"{count} generated pages"
        return self._large

    def seed_index(self) -> Path:
        """A fresh index of corpus/ (built by the build section, or here if that section is not run)."""
        if self._seed_index is None:
            self._seed_index = self.plan.work / "seed" / "index"
            build_index(SEED_CORPUS, self._seed_index, BuildSettings(), encoder=self.models.encoder())
            _link_model_cache(self._seed_index, self.plan.model_cache)
        return self._seed_index

    # ----------------------------------------------------------------- sections

    def build(self) -> dict:
        out = {}
        for name, corpus in (("seed", SEED_CORPUS), ("large", self.large_corpus())):
            folder = self.plan.work / f"build-{name}"
            out[name] = measure_build(corpus, folder, self.models)
            out[name]["corpus"] = "corpus/" if name == "seed" else self.large_source
            if name == "seed":
                self._seed_index = folder / "index"
                _link_model_cache(self._seed_index, self.plan.model_cache)
            else:
                self._large_index = folder / "index"
        return out

    def nets_questions(self) -> list[str]:
        """Lay questions about the NETs pages (labelled files of corpus/ and examples/, in and out of scope): the
        seed index is timed on the questions its readers ask, not on MedQuAD's."""
        files = sorted(SEED_CORPUS.glob("*.jsonl")) + sorted((REPO / "examples").glob("*/*.jsonl"))
        return workloads.labelled_questions(files) or self.questions()

    def latency(self) -> dict:
        self.questions()  # sets question_source
        out = {"question_source": {"seed": "lay NETs questions (corpus/ and examples/ labelled files)",
                                   "medquad": self.question_source}}
        out["seed"] = measure_latency(self.seed_index(), self.nets_questions(), self.warmup_questions(), self.models)
        if self.plan.medquad_index is not None:
            out["medquad"] = measure_latency(self.plan.medquad_index, self.questions(), self.warmup_questions(), self.models)
        else:
            out["medquad"] = {"skipped": "no finished MedQuAD index (see notes)"}
        return out

    def throughput(self) -> dict:
        out = {}
        indexes = {"seed": (self.seed_index(), self.nets_questions())}
        if self.plan.medquad_index is not None:
            indexes["medquad"] = (self.plan.medquad_index, self.questions())
        for name, (index, questions) in indexes.items():
            out[name] = measure_throughput(index, questions, self.warmup_questions(), self.models)
        return out

    def rebuild(self) -> dict:
        plan = self.plan
        if plan.medquad_index is not None:
            corpus, cache_from = plan.medquad / "corpus.jsonl", plan.medquad_index
            source = "whole MedQuAD corpus, embeddings copied from index-beir-medquad/cache"
        else:
            corpus = self.large_corpus()
            if self._large_index is None:
                self._large_index = self.plan.work / "build-large" / "index"
                build_index(corpus, self._large_index, BuildSettings(), encoder=self.models.encoder())
            cache_from, source = self._large_index, f"{self.large_source} (no MedQuAD index: smaller than the issue means)"
        result = measure_rebuild(corpus, cache_from, plan.work / "rebuild", self.models, plan.model_cache)
        result["corpus"] = source
        return result

    def cold(self) -> dict:
        q = self.questions()
        targets = [("seed", self.seed_index())]
        if self.plan.medquad_index is not None:
            targets.append(("medquad", self.plan.medquad_index))
        out: dict = {"cli": {}, "page": {}, "index_bytes_per_passage": {}}
        for name, index in targets:
            asked = q[: self.plan.cold_runs * 3]
            out["cli"][name] = measure_cli_cold(index, asked[: self.plan.cold_runs])
            out["page"][name] = measure_page_cold(index, asked[self.plan.cold_runs :], self.plan.cold_runs, self.plan.work)
            out["index_bytes_per_passage"][name] = index_size(index)
        if self._large_index is not None:
            out["index_bytes_per_passage"]["large"] = index_size(self._large_index)
        return out

    def ann(self) -> dict:
        plan = self.plan
        if plan.medquad_index is not None:
            vectors, label = read_vectors(plan.medquad_index), "MedQuAD index"
        else:
            index = self._large_index or self.seed_index()
            vectors, label = read_vectors(index), "large build corpus" if self._large_index else "seed index"
        queries = self.models.encoder().encode_queries(self.questions(plan.ann_queries))
        out = {"real": {"source": label, **compare_ann(vectors, queries)}}
        centres = vectors if len(vectors) >= 1000 else None
        kind = f"{label} vectors + Gaussian noise (σ=0.04 per dimension), renormalised" if centres is not None else "uniform on the sphere"
        out["synthetic"] = {"kind": kind, "runs": []}
        for size in plan.ann_sizes:
            _say(f"  ann synthetic {size:,}")
            synthetic = synthetic_vectors(size, centres, seed=size)
            out["synthetic"]["runs"].append({"vectors": size, **compare_ann(synthetic, queries)})
            del synthetic
        out["settings"] = {"hnsw_m": HNSW_M, "ef_search": HNSW_EF_SEARCH, "threshold": HNSW_THRESHOLD, "k": CANDIDATES}
        return out

    def backends(self) -> dict:
        questions = self.questions(self.plan.backend_queries)
        corpus = self.large_corpus() if self.plan.medquad is not None else SEED_CORPUS
        texts = workloads.windows(workloads.raw_documents(corpus))
        if len(texts) < self.plan.backend_windows:  # the seed corpus alone is short: add generated pages
            texts += workloads.windows(workloads.raw_documents(self.large_corpus()))
        texts = texts[: self.plan.backend_windows]
        return measure_backends(self.models, questions, texts)


# --------------------------------------------------------------------------- measurements


def _systems(index: Path, models: Models) -> tuple[dict[str, Callable[[str], object]], Searcher]:
    """One search of each system on the same passages: the project's full hybrid search, the ONNX-int8 peer's bare
    dense search and the naive PyTorch baseline's (both encode the question and search a flat FAISS index)."""
    manifest, _ = store.open_current(index)
    searcher = Searcher(index, encoder=models.encoder(manifest.backend))
    vectors = read_vectors(index)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    baseline, peer = models.baseline(), models.peer()

    def dense_search(model):
        def search(q: str) -> None:
            vector = model.encode([q], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            flat.search(np.asarray(vector, dtype=np.float32), K)
        return search

    return {"project": lambda q: searcher.search(q, k=K), "peer": dense_search(peer),
            "baseline": dense_search(baseline)}, searcher


def measure_latency(index: Path, questions: list[str], warmup: list[str], models: Models) -> dict:
    """Warm query latency of the three systems, order A B C over one half of the questions and C B A over the
    other, so that a change in background load hits them alike. The project's cache of recent questions is off
    (NETS_SEARCH_QUERY_CACHE=0): every question is encoded, as a new question is."""
    systems, searcher = _systems(index, models)
    for q in warmup:
        for search in systems.values():
            search(q)
    half = len(questions) // 2
    times: dict[str, list[float]] = {name: [] for name in systems}
    for part, order in ((questions[:half], list(systems)), (questions[half:], list(systems)[::-1])):
        for name in order:
            times[name] += _time_each(systems[name], part)
    out = {"passages": len(searcher.passages), "index_type": searcher.manifest.index_type,
           "backend": searcher.manifest.backend, "questions": len(questions)}
    for name, values in times.items():
        out[name] = _summary_ms(values)
    out["p50_speedup"] = out["baseline"]["p50_ms"] / out["project"]["p50_ms"]
    out["p95_speedup"] = out["baseline"]["p95_ms"] / out["project"]["p95_ms"]
    out["p50_vs_peer"] = out["peer"]["p50_ms"] / out["project"]["p50_ms"]
    out["p95_vs_peer"] = out["peer"]["p95_ms"] / out["project"]["p95_ms"]
    return out


def measure_throughput(index: Path, questions: list[str], warmup: list[str], models: Models) -> dict:
    """Searches per second with 1 and 2 clients (threads of one process sharing one loaded system), the project
    against the ONNX-int8 peer; every question is answered once per run."""
    from concurrent.futures import ThreadPoolExecutor

    systems, _ = _systems(index, models)
    systems.pop("baseline")
    for q in warmup:
        for search in systems.values():
            search(q)
    out: dict = {"questions": len(questions)}
    for clients in (1, 2):
        for name in (list(systems) if clients == 1 else list(systems)[::-1]):
            started = time.perf_counter()
            if clients == 1:  # one client: the caller's own thread, as a single reader's requests are served
                for question in questions:
                    systems[name](question)
            else:
                with ThreadPoolExecutor(max_workers=clients) as pool:
                    list(pool.map(systems[name], questions))
            out[f"{name}_{clients}_clients_per_s"] = len(questions) / (time.perf_counter() - started)
        out[f"ratio_{clients}_clients"] = out[f"project_{clients}_clients_per_s"] / out[f"peer_{clients}_clients_per_s"]
    return out


def measure_build(corpus: Path, folder: Path, models: Models) -> dict:
    """Project build (fresh folder, empty cache, model preloaded) against the naive baseline and the ONNX-int8 peer
    (each encodes the 180-word windows of the same documents into a flat index) on one corpus."""
    encoder, baseline = models.encoder(), models.baseline()
    started = time.perf_counter()
    built = build_index(corpus, folder / "index", BuildSettings(backend=encoder.requested_backend), encoder=encoder)
    project_seconds = time.perf_counter() - started

    windows = workloads.windows(workloads.raw_documents(corpus))
    others = {}
    for name, model in (("baseline", baseline), ("peer", models.peer())):
        started = time.perf_counter()
        vectors = model.encode(windows, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                               show_progress_bar=False)
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(np.asarray(vectors, dtype=np.float32))
        faiss.write_index(flat, str(folder / f"{name}.faiss"))
        others[name] = time.perf_counter() - started

    documents = len(workloads.raw_documents(corpus))
    out = {
        "documents": documents,
        "project": {"seconds": project_seconds, "passages": built.passages, "embedded": built.embedded,
                    "passages_per_s": built.passages / project_seconds, "documents_per_s": documents / project_seconds,
                    "backend": encoder.backend},
    }
    for name, seconds in others.items():
        out[name] = {"seconds": seconds, "passages": len(windows), "passages_per_s": len(windows) / seconds,
                     "documents_per_s": documents / seconds}
    out["speedup"] = others["baseline"] / project_seconds
    out["speedup_vs_peer"] = others["peer"] / project_seconds
    return out


def measure_rebuild(corpus: Path, cache_from: Path, folder: Path, models: Models, model_cache: Path) -> dict:
    """Rebuilds of a large corpus whose embeddings are all cached: edit one page, delete one, change nothing."""
    folder.mkdir(parents=True)
    index = folder / "index"
    (index / "cache").mkdir(parents=True)
    _copy_sqlite(cache_from / "cache" / "embeddings.sqlite", index / "cache" / "embeddings.sqlite")
    _link_model_cache(index, model_cache)
    backend = encode.base_backend(store.open_current(cache_from)[0].backend)
    encoder, settings = models.encoder(backend), BuildSettings(backend=backend)
    current = folder / "corpus.jsonl"
    shutil.copy(corpus, current)
    ids = workloads.jsonl_ids(current)
    out: dict = {"documents": len(ids), "backend": backend}

    def in_process(label: str) -> None:
        started = time.perf_counter()
        built = build_index(current, index, settings, encoder=encoder)
        out[label] = {"seconds": time.perf_counter() - started, "embedded": built.embedded, "passages": built.passages,
                      "model_preloaded": True}

    in_process("full_from_cache")
    edited = folder / "edited.jsonl"
    out["edited_doc"] = workloads.edit_jsonl(current, edited, edit=len(ids) // 2)
    edited.replace(current)
    in_process("edit_one_page")
    out["edit_one_page_cli"] = _cli_build(current, index, backend, edit=(len(ids) // 3, folder))
    out["deleted_doc"] = workloads.edit_jsonl(current, edited, delete=len(ids) // 4)
    edited.replace(current)
    in_process("delete_one_page")
    out["nothing_changed_cli"] = _cli_build(current, index, backend)
    return out


def _cli_build(corpus: Path, index: Path, backend: str, edit: tuple[int, Path] | None = None) -> dict:
    """`nets-search build` in a fresh process (edit: change one line of the corpus first); wall time from
    process start to exit, and whether torch/transformers were imported (a second, identical run with
    PYTHONPROFILEIMPORTTIME, only when nothing is to be done: the first run would have done the work)."""
    if edit is not None:
        line, folder = edit
        workloads.edit_jsonl(corpus, folder / "edited-cli.jsonl", edit=line)
        (folder / "edited-cli.jsonl").replace(corpus)
    command = [*nets_search_command(), "build", "--corpus", str(corpus), "--index", str(index), "--quiet", "--backend", backend]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=_child_env())
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"nets-search build failed: {done.stderr.strip()[-500:]}")
    found = re.search(r"\((\d+) embedded", done.stdout)
    out = {"seconds": seconds, "embedded": int(found.group(1)) if found else 0, "output": done.stdout.strip().splitlines()[0]}
    if edit is None:
        traced = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env={**_child_env(), "PYTHONPROFILEIMPORTTIME": "1"})
        imported = {line.rsplit("|", 1)[-1].strip() for line in traced.stderr.splitlines() if line.startswith("import time:")}
        out["torch_imported"] = "torch" in imported
        out["transformers_imported"] = "transformers" in imported
    return out


def measure_cli_cold(index: Path, questions: list[str]) -> dict:
    """Fresh `nets-search search` processes: seconds to the first line of the answer, and to exit."""
    first_line, exit_ = [], []
    for question in questions:
        command = [*nets_search_command(), "search", question, "--index", str(index), "-k", str(K)]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=_child_env())
        line = process.stdout.readline()
        first_line.append(time.perf_counter() - started)
        _, err = process.communicate()
        exit_.append(time.perf_counter() - started)
        if process.returncode != 0 or not line.strip():
            raise RuntimeError(f"nets-search search failed: {err.strip()[-500:]}")
    return {"runs": len(questions), "first_answer_s": statistics.median(first_line), "exit_s": statistics.median(exit_),
            "all_first_answer_s": first_line}


def measure_page_cold(index: Path, questions: list[str], runs: int, work: Path) -> dict:
    """Fresh page processes (benchmarks/page_probe.py): seconds to the first answered question, a second question
    in the same process, and the process's peak memory."""
    first, warm, rss = [], [], []
    for number in range(runs):
        env = {**_child_env(), "NETS_SEARCH_INDEX": str(index), "NETS_SEARCH_CORPUS": str(SEED_CORPUS),
               "NETS_SEARCH_FEEDBACK_DB": str(work / "feedback.sqlite"), "NETS_SEARCH_GOLDEN": str(work / "golden.jsonl")}
        env.pop("NETS_SEARCH_EDITOR", None)
        command = [sys.executable, str(HERE / "page_probe.py"), str(REPO / "app.py"), questions[2 * number], questions[2 * number + 1]]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
        events = {}
        for line in process.stdout:
            if line.startswith("{"):
                event = json.loads(line)
                events[event["event"]] = event
                if event["event"] == "answered":
                    first.append(time.perf_counter() - started)
        _, err = process.communicate()
        answered, done = events.get("answered"), events.get("done")
        if process.returncode != 0 or not answered or not done:
            raise RuntimeError(f"page probe failed: {err.strip()[-800:]}")
        if answered["exceptions"] or not answered["cards"]:
            raise RuntimeError(f"the page showed no answer: {answered}")
        warm.append(done["warm"]["seconds"])
        rss.append(done["peak_rss_mb"])
    return {"runs": runs, "method": "AppTest.from_file('app.py') with ?q= in a fresh process (benchmarks/page_probe.py)",
            "first_answer_s": statistics.median(first), "second_question_s": statistics.median(warm),
            "peak_rss_mb": max(rss), "all_first_answer_s": first}


def index_size(index: Path) -> dict:
    manifest, folder = store.open_current(index)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"passages": manifest.passages, "version_bytes": size, "bytes_per_passage": size / max(1, manifest.passages)}


def compare_ann(vectors: np.ndarray, queries: np.ndarray) -> dict:
    """Exact (flat) against HNSW over the same vectors: build time, one-query time at the searcher's candidate
    count, and recall@10 of HNSW against the exact top 10."""
    started = time.perf_counter()
    flat = FaissVectors.build(vectors, "flat")._index  # the raw FAISS indexes: batch searches for recall
    flat_build = time.perf_counter() - started
    started = time.perf_counter()
    hnsw = FaissVectors.build(vectors, "hnsw")._index
    hnsw_build = time.perf_counter() - started
    k = min(CANDIDATES, len(vectors))
    _, exact = flat.search(queries, RECALL_AT)
    _, approx = hnsw.search(queries, k)
    recall = float(np.mean([len(set(e) & set(a[:RECALL_AT])) / RECALL_AT for e, a in zip(exact, approx)]))
    flat_times = _time_each(lambda q: flat.search(q.reshape(1, -1), k), list(queries))
    hnsw_times = _time_each(lambda q: hnsw.search(q.reshape(1, -1), k), list(queries))
    return {"vectors": len(vectors), "queries": len(queries), "recall_at_10": recall,
            "flat": {"build_s": flat_build, **_summary_ms(flat_times)},
            "hnsw": {"build_s": hnsw_build, **_summary_ms(hnsw_times)},
            "hnsw_speedup_p50": _p(flat_times, 50) / _p(hnsw_times, 50)}


def synthetic_vectors(count: int, centres: np.ndarray | None, seed: int, dim: int = encode.DIMENSIONS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((count, dim), dtype=np.float32)
    for start in range(0, count, 100_000):
        size = min(100_000, count - start)
        if centres is not None:
            chunk = centres[rng.integers(0, len(centres), size)] + 0.04 * rng.standard_normal((size, dim), dtype=np.float32)
        else:
            chunk = rng.standard_normal((size, dim), dtype=np.float32)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        out[start : start + size] = chunk
    return out


def measure_backends(models: Models, questions: list[str], texts: list[str]) -> dict:
    """torch, onnx, onnx-int8: one-question encode time, passages/s, largest cosine drift from torch. Each backend
    answers one half of the questions in the order A B C and the other half in C B A, so a change in background
    load is shared; backends are not interleaved question by question (one runtime's idle threads would slow
    the next)."""
    names = list(encode.BACKENDS)
    encoders = {name: models.encoder(name) for name in names}
    for encoder in encoders.values():
        encoder.encode_queries(questions[:3])
        encoder.encode_passages(texts[:4])
    query_times: dict[str, list[float]] = {name: [] for name in names}
    half = len(questions) // 2
    for chunk, order in ((questions[:half], names), (questions[half:], names[::-1])):  # A B C C B A
        for name in order:
            encoders[name].encode_queries(chunk[:1])  # the previous backend's threads settle first
            query_times[name] += _time_each(lambda q: encoders[name].encode_queries([q]), chunk)
    out: dict = {"questions": len(questions), "windows": len(texts), "window_words": workloads.WINDOW_WORDS}
    reference = None
    for name in names:
        started = time.perf_counter()
        passages = encoders[name].encode_passages(texts)
        seconds = time.perf_counter() - started
        queries = encoders[name].encode_queries(questions)
        vectors = np.vstack([passages, queries])
        if reference is None:
            reference = vectors
        drift = float(np.max(1.0 - np.sum(vectors * reference, axis=1)))
        out[name] = {"loaded_as": encoders[name].backend, "query_p50_ms": _p(query_times[name], 50),
                     "query_p95_ms": _p(query_times[name], 95), "passages_per_s": len(texts) / seconds,
                     "max_cosine_drift_vs_torch": drift}
    for name in names[1:]:
        out[name]["query_speedup_vs_torch"] = out["torch"]["query_p50_ms"] / out[name]["query_p50_ms"]
        out[name]["passage_speedup_vs_torch"] = out[name]["passages_per_s"] / out["torch"]["passages_per_s"]
    return out


# --------------------------------------------------------------------------- helpers


def read_vectors(index: Path) -> np.ndarray:
    """The passage vectors of an index's version in use, read back from its passage-vectors file."""
    manifest, folder = store.open_current(index)
    return open_vectors(folder / store.VECTORS_FILE, engine_of(manifest.vector_engine)).vectors()


def nets_search_command() -> list[str]:
    """The installed console script beside this Python (not a shell shim, which adds its own start-up)."""
    script = Path(sys.executable).parent / "nets-search"
    if script.is_file():
        return [str(script)]
    found = shutil.which("nets-search")
    return [found] if found else [sys.executable, "-c", "import sys; from nets_search.cli.main import main; sys.exit(main())"]


def _child_env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(REPO)}


def _seed_model_cache(cache: Path) -> None:
    """Reuse an ONNX export already made for this model (repo index caches) so a run does not export again."""
    target = cache / "onnx" / encode.model_hash()
    if (target / "onnx" / "model.onnx").is_file():
        return
    for index in (REPO / "index", MEDQUAD_INDEX):
        source = index / "cache" / "onnx" / encode.model_hash()
        if (source / "onnx" / "model.onnx").is_file() and (source / "modules.json").is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = target.parent / f".tmp-bench-{os.getpid()}"
            shutil.copytree(source, staging)
            if not target.exists():
                staging.replace(target)
            shutil.rmtree(staging, ignore_errors=True)
            return


def _link_model_cache(index: Path, cache: Path) -> None:
    """Let a temporary index find the ONNX export (as index/cache/onnx), so fresh processes do not export."""
    link = index / "cache" / "onnx"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(cache / "onnx", target_is_directory=True)


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy even while another process writes the source (SQLite's online backup)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _time_each(fn: Callable, items: list) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - started)
    return out


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def _summary_ms(values: list[float]) -> dict:
    return {"p50_ms": _p(values, 50), "p95_ms": _p(values, 95), "mean_ms": float(np.mean(values) * 1000.0), "n": len(values)}


def meta(plan: Plan) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in ("torch", "sentence-transformers", "onnxruntime", "faiss-cpu", "bm25s", "streamlit", "numpy"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
        cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), "")
    except OSError:
        flags, cpu = set(), platform.processor()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=REPO).stdout.strip())
    plan_dict = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(plan).items() if k not in ("work",)}
    return {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mode": "quick" if plan.quick else "full",
        "plan": plan_dict,
        "machine": {"cpu": cpu, "cores": os.cpu_count(), "avx2": "avx2" in flags, "avx512f": "avx512f" in flags,
                    "avx512_vnni": "avx512_vnni" in flags, "load_average_at_start": os.getloadavg(),
                    "python": platform.python_version()},
        "versions": versions,
        "git": {"commit": commit, "uncommitted_changes": dirty},
        "default_backend": encode.DEFAULT_BACKEND,
    }


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


_T0 = time.perf_counter()


def _say(message: str) -> None:
    print(f"[{time.perf_counter() - _T0:6.0f} s] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
