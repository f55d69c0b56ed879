"""The benchmark script runs end to end in its smallest mode and writes the JSON it promises.

Benchmarks are not tests: nothing here looks at a timing. The script runs in a subprocess (it is never
imported by the tests), on the seed corpus with generated questions, no MedQuAD, tiny ANN sizes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # about a minute: a fresh page process, a CLI process, 200 questions x 2

REPO = Path(__file__).resolve().parents[1]
SECTIONS = ("build", "latency", "throughput", "rebuild", "cold", "ann")  # "backends" loads three encoders: left to real runs


def test_quick_benchmark_writes_expected_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    command = [
        sys.executable, str(REPO / "benchmarks" / "bench.py"), "--quick", "--no-medquad",
        "--only", ",".join(SECTIONS), "--generated-docs", "8", "--ann-sizes", "1000",
        "--ann-queries", "20", "--work-dir", str(tmp_path), "--out", str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))

    assert {"meta", "targets", "notes", *SECTIONS} <= set(results)
    assert results["meta"]["mode"] == "quick"
    for section in SECTIONS:
        assert "error" not in results[section], results[section]

    latency = results["latency"]
    assert latency["question_source"]["seed"].startswith("lay NETs questions")
    assert latency["seed"]["questions"] >= 100
    for system in ("baseline", "peer"):
        assert {"p50_ms", "p95_ms"} <= set(latency["seed"]["project"]) <= set(latency["seed"][system])
    assert {"p50_speedup", "p50_vs_peer"} <= set(latency["seed"]) and "skipped" in latency["medquad"]
    throughput = results["throughput"]["seed"]
    assert all(throughput[f"{s}_{c}_clients_per_s"] > 0 for s in ("project", "peer") for c in (1, 2))
    assert "medquad" not in results["throughput"]

    for corpus in ("seed", "large"):
        build = results["build"][corpus]
        assert {"project", "baseline", "speedup", "documents"} <= set(build)
        assert build["project"]["passages"] > 0 and build["baseline"]["passages"] > 0

    rebuild = results["rebuild"]
    for step in ("full_from_cache", "edit_one_page", "edit_one_page_cli", "delete_one_page", "nothing_changed_cli"):
        assert {"seconds", "embedded"} <= set(rebuild[step])
    assert rebuild["full_from_cache"]["embedded"] == 0
    assert rebuild["edit_one_page"]["embedded"] >= 1
    assert rebuild["nothing_changed_cli"]["embedded"] == 0
    assert {"torch_imported", "transformers_imported"} <= set(rebuild["nothing_changed_cli"])

    cold = results["cold"]
    assert {"first_answer_s", "exit_s"} <= set(cold["cli"]["seed"])
    assert {"first_answer_s", "second_question_s", "peak_rss_mb"} <= set(cold["page"]["seed"])
    assert cold["index_bytes_per_passage"]["seed"]["bytes_per_passage"] > 0

    ann = results["ann"]
    assert 0.0 <= ann["real"]["recall_at_10"] <= 1.0
    assert [run["vectors"] for run in ann["synthetic"]["runs"]] == [1000]
    assert {"build_s", "p50_ms"} <= set(ann["synthetic"]["runs"][0]["hnsw"])

    assert all({"target", "measured", "met"} <= set(t) for t in results["targets"])
    assert "Targets" in done.stdout and "strong peer" in done.stdout  # the tables were printed


def test_the_page_load_test_drives_the_real_websocket(tmp_path: Path) -> None:
    out = tmp_path / "page-load.json"
    command = [sys.executable, str(REPO / "benchmarks" / "page_load.py"), "--sessions", "1,2", "--questions", "3",
               "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert [run["sessions"] for run in results["runs"]] == [1, 2]
    assert [run["searches"] for run in results["runs"]] == [3, 6]
    assert all(run["searches_per_s"] > 0 and run["p50_ms"] > 0 for run in results["runs"])
    assert [run["errors"] for run in results["runs"]] == [0, 0]
    assert all(run["server_peak_rss_mb"] >= run["server_rss_mb"] > 50 for run in results["runs"])  # the model is in
    assert results["readers_held_p95_under_1s"] in (0, 1, 2)
    assert results["streamlit_floor"]["searches"] == 3
