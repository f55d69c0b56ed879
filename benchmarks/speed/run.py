"""One run: the sections asked for, in an order that lets later ones reuse what earlier ones built, each failure
kept to its own section, and the run's meta data (machine, versions, commit, load) around the figures."""

from __future__ import annotations

import os
import platform
import subprocess
import time
import traceback
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Callable

import numpy as np

import report
from nets_search.encode import encoder as encode

from . import ann, backends, build, cold, latency, rebuild, throughput
from .files import REPO, seed_model_cache
from .inputs import Inputs
from .models import Models
from .plan import Plan
from .timing import say

# Run order, not the order of --only: backends first (it loads every encoder once, exporting ONNX if needed), then
# build (its fresh indexes serve the sections after it).
MEASURES: dict[str, Callable[[Inputs], dict]] = {
    "backends": backends.measure,
    "build": build.measure,
    "latency": latency.measure,
    "throughput": throughput.measure,
    "rebuild": rebuild.measure,
    "cold": cold.measure,
    "ann": ann.measure,
}
PACKAGES = ("torch", "sentence-transformers", "onnxruntime", "faiss-cpu", "bm25s", "streamlit", "numpy")


def run(plan: Plan, notes: list[str]) -> dict:
    """The results dict written as JSON: meta, one entry per section run, the targets and the notes."""
    started = time.perf_counter()
    seed_model_cache(plan.model_cache)
    models = Models(plan.model_cache, plan.work, notes)
    inputs = Inputs(plan, models, notes)
    results: dict = {"meta": meta(plan)}
    for name, measure in MEASURES.items():
        if name in plan.sections:
            results[name] = _measure_section(name, measure, inputs)
    results["meta"]["load_seconds"] = models.load_seconds
    results["meta"]["machine"]["load_average_at_end"] = os.getloadavg()
    _note_busy_machine(results["meta"]["machine"]["load_average_at_start"], notes)
    results["meta"]["run_seconds"] = time.perf_counter() - started
    results["targets"] = report.targets(results)
    results["notes"] = notes
    return results


def _measure_section(name: str, measure: Callable[[Inputs], dict], inputs: Inputs) -> dict:
    """A section's figures, or {"error": ...}: one failing section must not lose the others' figures."""
    say(f"{name} …")
    started = time.perf_counter()
    try:
        figures = measure(inputs)
    except Exception as exc:
        traceback.print_exc()
        figures = {"error": f"{type(exc).__name__}: {exc}"}
    say(f"{name} done in {time.perf_counter() - started:.0f} s")
    return figures


def _note_busy_machine(load_at_start: tuple[float, ...], notes: list[str]) -> None:
    busy = max(load_at_start[0], os.getloadavg()[0])
    if busy > 0.5 * (os.cpu_count() or 1):
        notes.append(f"the machine was busy (load average up to {busy:.1f} on {os.cpu_count()} cores): other work "
                     "shares the CPU, PyTorch suffers most from that; rerun on a quiet machine before quoting figures")


def meta(plan: Plan) -> dict:
    """What a reader needs to judge the figures: when, which sizes, which machine and packages, which commit."""
    plan_dict = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(plan).items() if k not in ("work",)}
    return {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mode": "quick" if plan.quick else "full",
        "plan": plan_dict,
        "machine": _machine(),
        "versions": _versions(),
        "git": _git(),
        "default_backend": encode.DEFAULT_BACKEND,
    }


def _machine() -> dict:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        flags = set(cpuinfo.split())
        cpu = next((l.split(":", 1)[1].strip() for l in cpuinfo.splitlines() if l.startswith("model name")), "")
    except OSError:
        flags, cpu = set(), platform.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "avx2": "avx2" in flags, "avx512f": "avx512f" in flags,
            "avx512_vnni": "avx512_vnni" in flags, "load_average_at_start": os.getloadavg(),
            "python": platform.python_version()}


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def _git() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPO).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no"))}


def json_default(value):
    """What json.dumps cannot write itself: numpy numbers and paths."""
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
