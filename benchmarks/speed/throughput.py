"""throughput: searches per second with 1 and 2 clients, the project against the ONNX-int8 peer.

Two clients are two threads of one process sharing one loaded system, as the page's readers share one page
process; every question is answered once per run. The naive baseline is left out: it is not a contender here.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .inputs import Inputs
from .models import Models
from .systems import Search, load_systems, warm_up


def measure(inputs: Inputs) -> dict:
    indexes = {"seed": (inputs.seed_index(), inputs.nets_questions())}
    if inputs.plan.medquad_index is not None:
        indexes["medquad"] = (inputs.plan.medquad_index, inputs.questions())
    return {name: measure_throughput(index, questions, inputs.warmup_questions(), inputs.models)
            for name, (index, questions) in indexes.items()}


def measure_throughput(index: Path, questions: list[str], warmup: list[str], models: Models) -> dict:
    searches = {name: search for name, search in load_systems(index, models).searches.items() if name != "baseline"}
    warm_up(searches, warmup)
    out: dict = {"questions": len(questions)}
    for clients in (1, 2):
        for name in (list(searches) if clients == 1 else list(searches)[::-1]):
            out[f"{name}_{clients}_clients_per_s"] = len(questions) / _seconds_to_answer(searches[name], questions, clients)
        out[f"ratio_{clients}_clients"] = out[f"project_{clients}_clients_per_s"] / out[f"peer_{clients}_clients_per_s"]
    return out


def _seconds_to_answer(search: Search, questions: list[str], clients: int) -> float:
    """Wall seconds to answer every question once. One client runs on the caller's own thread, as a single
    reader's requests are served; more share a thread pool."""
    started = time.perf_counter()
    if clients == 1:
        for question in questions:
            search(question)
    else:
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(search, questions))
    return time.perf_counter() - started
