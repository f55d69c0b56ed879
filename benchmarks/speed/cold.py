"""cold: process start to the first answered question, as a reader who opens the tool meets it.

CLI: fresh `nets-search search` processes, timed to their first line of output. Page: fresh processes of
benchmarks/page_probe.py (app.py through Streamlit's AppTest with ?q=..., as a first visit from a shared link),
timed to the first result cards, then a second question in the same process, and that process's own peak memory.
Also the index's size on disk per passage. Medians over --cold-runs processes.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .files import REPO, SEED_CORPUS, index_size
from .inputs import Inputs
from .processes import child_env, nets_search_command
from .systems import K

PAGE_PROBE = REPO / "benchmarks" / "page_probe.py"


def measure(inputs: Inputs) -> dict:
    plan, asked = inputs.plan, inputs.questions()[: inputs.plan.cold_runs * 3]
    indexes = [("seed", inputs.seed_index())]
    if plan.medquad_index is not None:
        indexes.append(("medquad", plan.medquad_index))
    out: dict = {"cli": {}, "page": {}, "index_bytes_per_passage": {}}
    for name, index in indexes:
        out["cli"][name] = measure_cli_cold(index, asked[: plan.cold_runs])
        out["page"][name] = measure_page_cold(index, asked[plan.cold_runs :], plan.cold_runs, plan.work)
        out["index_bytes_per_passage"][name] = index_size(index)
    if inputs.large_index is not None:
        out["index_bytes_per_passage"]["large"] = index_size(inputs.large_index)
    return out


def measure_cli_cold(index: Path, questions: list[str]) -> dict:
    """Fresh `nets-search search` processes: seconds to the first line of the answer, and to exit."""
    first_line, exit_ = [], []
    for question in questions:
        command = [*nets_search_command(), "search", question, "--index", str(index), "-k", str(K)]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=child_env())
        line = process.stdout.readline()
        first_line.append(time.perf_counter() - started)
        _, err = process.communicate()
        exit_.append(time.perf_counter() - started)
        if process.returncode != 0 or not line.strip():
            raise RuntimeError(f"nets-search search failed: {err.strip()[-500:]}")
    return {"runs": len(questions), "first_answer_s": statistics.median(first_line), "exit_s": statistics.median(exit_),
            "all_first_answer_s": first_line}


def measure_page_cold(index: Path, questions: list[str], runs: int, work: Path) -> dict:
    """Fresh page processes: seconds to the first answered question, a second question in the same process, and
    the process's peak memory. Each run asks two questions of its own."""
    first, warm, rss = [], [], []
    for number in range(runs):
        seconds, done = _probe_page(index, questions[2 * number], questions[2 * number + 1], work)
        first.append(seconds)
        warm.append(done["warm"]["seconds"])
        rss.append(done["peak_rss_mb"])
    return {"runs": runs, "method": "AppTest.from_file('app.py') with ?q= in a fresh process (benchmarks/page_probe.py)",
            "first_answer_s": statistics.median(first), "second_question_s": statistics.median(warm),
            "peak_rss_mb": max(rss), "all_first_answer_s": first}


def _probe_page(index: Path, first: str, second: str, work: Path) -> tuple[float, dict]:
    """One page_probe.py process: seconds from its start to its "answered" line, and its "done" line."""
    command = [sys.executable, str(PAGE_PROBE), str(REPO / "app.py"), first, second]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                               env=_page_env(index, work))
    events, answered_after = {}, 0.0
    for line in process.stdout:
        if line.startswith("{"):
            event = json.loads(line)
            events[event["event"]] = event
            if event["event"] == "answered":
                answered_after = time.perf_counter() - started
    _, err = process.communicate()
    answered, done = events.get("answered"), events.get("done")
    if process.returncode != 0 or not answered or not done:
        raise RuntimeError(f"page probe failed: {err.strip()[-800:]}")
    if answered["exceptions"] or not answered["cards"]:
        raise RuntimeError(f"the page showed no answer: {answered}")
    return answered_after, done


def _page_env(index: Path, work: Path) -> dict[str, str]:
    """The page's settings for a probe: this index, the seed corpus, feedback and golden files in the work folder,
    reader mode (no editor panel)."""
    env = {**child_env(), "NETS_SEARCH_INDEX": str(index), "NETS_SEARCH_CORPUS": str(SEED_CORPUS),
           "NETS_SEARCH_FEEDBACK_DB": str(work / "feedback.sqlite"), "NETS_SEARCH_GOLDEN": str(work / "golden.jsonl")}
    env.pop("NETS_SEARCH_EDITOR", None)
    return env
