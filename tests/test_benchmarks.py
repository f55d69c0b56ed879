"""The benchmark scripts start, and bench.py runs end to end in its smallest mode and writes the JSON it promises.

Benchmarks are not tests: nothing here looks at a timing. The scripts run in subprocesses (they are never
imported by the tests): first each one's --help and the structure of bench.py's sections (seconds), then the
smallest bench.py run, on the seed corpus with generated questions, no MedQuAD, tiny ANN sizes, and page_load.py.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"
SPEED = BENCHMARKS / "speed"
ALL_SECTIONS = ("latency", "throughput", "build", "rebuild", "cold", "ann", "backends")
SECTIONS = ("build", "latency", "throughput", "rebuild", "cold", "ann")  # "backends" loads three encoders: left to real runs
SCRIPTS = ("bench.py", "quality.py", "profile_search.py", "page_load.py", "page_probe.py", "report.py")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=REPO, timeout=300)


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_benchmark_script_starts_and_explains_itself(script: str) -> None:
    """--help imports what a script imports at the top: a module moved under it fails here."""
    done = _run(str(BENCHMARKS / script), "--help")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("usage:")


def test_bench_help_lists_every_section_and_refuses_an_unknown_one() -> None:
    helped = _run(str(BENCHMARKS / "bench.py"), "--help")
    assert all(f"\n  {section} " in helped.stdout for section in ALL_SECTIONS), helped.stdout
    assert all(option in helped.stdout for option in ("--quick", "--no-medquad", "--only", "--ann-sizes", "--out"))
    refused = _run(str(BENCHMARKS / "bench.py"), "--only", "latency,nosuch")
    assert refused.returncode != 0 and "unknown section(s) nosuch" in refused.stderr


def test_each_section_is_a_module_with_a_measure_function_and_the_run_knows_them_all() -> None:
    for section in ALL_SECTIONS:
        tree = ast.parse((SPEED / f"{section}.py").read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"speed/{section}.py says what it measures and why"
        assert any(isinstance(node, ast.FunctionDef) and node.name == "measure" for node in tree.body), section
    check = ("import sys; sys.path[:0] = ['benchmarks', '.']; from speed.run import MEASURES; "
             "from speed.plan import SECTIONS; print(sorted(MEASURES) == sorted(SECTIONS))")
    done = _run("-c", check)
    assert done.stdout.strip() == "True", done.stderr[-3000:]


def test_benchmark_modules_stay_small_and_documented() -> None:
    for module in [*SPEED.glob("*.py"), BENCHMARKS / "bench.py"]:
        text = module.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 300, module.name
        assert ast.get_docstring(ast.parse(text)), module.name


def test_profile_search_steps_name_functions_of_the_search_package() -> None:
    """profile_search.py finds a search's steps in the profile by function name: a renamed one would show as
    missing. Rename it in STEPS (benchmarks/profile_search.py) along with the function."""
    tree = ast.parse((BENCHMARKS / "profile_search.py").read_text(encoding="utf-8"))
    steps = next(node.value for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id == "STEPS")
    wanted = {ast.literal_eval(value) for value in steps.values}
    defined = {node.name for path in (REPO / "nets_search" / "search").glob("*.py")
               for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    assert wanted <= defined, sorted(wanted - defined)


def test_report_prints_a_saved_run_again() -> None:
    done = _run(str(BENCHMARKS / "report.py"), str(REPO / "docs" / "bench-latest.json"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Targets" in done.stdout and "strong peer" in done.stdout


@pytest.mark.slow  # about a minute: a fresh page process, a CLI process, 200 questions x 2
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


@pytest.mark.slow
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
