"""latency: warm query time p50/p95 of the project's hybrid search against the peer's and the baseline's dense
search, on the seed index (lay NETs questions) and the MedQuAD index when it is built (MedQuAD dev questions).

Why the order A B C over one half of the questions and C B A over the other: a change in background load then
hits every system alike. The project's cache of recent questions is off (NETS_SEARCH_QUERY_CACHE=0, set by
bench.py): every question is encoded, as a new question is.
"""

from __future__ import annotations

from pathlib import Path

from .inputs import NETS_QUESTIONS_SOURCE, Inputs
from .models import Models
from .systems import load_systems, warm_up
from .timing import summary_ms, time_each


def measure(inputs: Inputs) -> dict:
    out: dict = {"question_source": {"seed": NETS_QUESTIONS_SOURCE, "medquad": inputs.question_source()}}
    out["seed"] = measure_latency(inputs.seed_index(), inputs.nets_questions(), inputs.warmup_questions(), inputs.models)
    if inputs.plan.medquad_index is not None:
        out["medquad"] = measure_latency(inputs.plan.medquad_index, inputs.questions(), inputs.warmup_questions(), inputs.models)
    else:
        out["medquad"] = {"skipped": "no finished MedQuAD index (see notes)"}
    return out


def measure_latency(index: Path, questions: list[str], warmup: list[str], models: Models) -> dict:
    """Per-system summaries in ms, and the baseline's and the peer's times over the project's."""
    systems = load_systems(index, models)
    warm_up(systems.searches, warmup)
    times = _time_interleaved(systems.searches, questions)
    manifest = systems.searcher.manifest
    out = {"passages": len(systems.searcher.passages), "index_type": manifest.index_type,
           "backend": manifest.backend, "questions": len(questions)}
    for name, values in times.items():
        out[name] = summary_ms(values)
    for stat in ("p50", "p95"):
        out[f"{stat}_speedup"] = out["baseline"][f"{stat}_ms"] / out["project"][f"{stat}_ms"]
    for stat in ("p50", "p95"):
        out[f"{stat}_vs_peer"] = out["peer"][f"{stat}_ms"] / out["project"][f"{stat}_ms"]
    return out


def _time_interleaved(searches: dict, questions: list[str]) -> dict[str, list[float]]:
    """Seconds per question per system: order A B C over the first half, C B A over the second."""
    half = len(questions) // 2
    names = list(searches)
    times: dict[str, list[float]] = {name: [] for name in names}
    for part, order in ((questions[:half], names), (questions[half:], names[::-1])):
        for name in order:
            times[name] += time_each(searches[name], part)
    return times
