"""backends: the engine's torch, onnx and onnx-int8 encoders — one-question encode time p50/p95, passages/s on
180-word windows, the speed-ups over torch, and the largest cosine drift from torch's vectors.

Run first in a full run: it loads every encoder once (exporting ONNX if needed), so later sections find them
loaded. Each backend answers one half of the questions in the order A B C and the other half in C B A, so a change
in background load is shared; backends are not interleaved question by question (one runtime's idle threads
would slow the next).
"""

from __future__ import annotations

import time

import numpy as np

import workloads
from nets_search.encode import encoder as encode

from .files import SEED_CORPUS
from .inputs import Inputs
from .timing import percentile_ms, time_each


def measure(inputs: Inputs) -> dict:
    plan = inputs.plan
    corpus = inputs.large_corpus() if plan.medquad is not None else SEED_CORPUS
    texts = workloads.windows(workloads.raw_documents(corpus))
    if len(texts) < plan.backend_windows:  # the seed corpus alone is short: add generated pages
        texts += workloads.windows(workloads.raw_documents(inputs.large_corpus()))
    return measure_backends(inputs, inputs.questions(plan.backend_queries), texts[: plan.backend_windows])


def measure_backends(inputs: Inputs, questions: list[str], texts: list[str]) -> dict:
    names = list(encode.BACKENDS)
    encoders = {name: inputs.models.encoder(name) for name in names}
    for encoder in encoders.values():  # untimed first calls
        encoder.encode_queries(questions[:3])
        encoder.encode_passages(texts[:4])
    query_times = _query_times(encoders, questions)
    out: dict = {"questions": len(questions), "windows": len(texts), "window_words": workloads.WINDOW_WORDS}
    reference = None
    for name in names:
        started = time.perf_counter()
        passages = encoders[name].encode_passages(texts)
        seconds = time.perf_counter() - started
        vectors = np.vstack([passages, encoders[name].encode_queries(questions)])
        reference = vectors if reference is None else reference
        out[name] = {"loaded_as": encoders[name].backend, "query_p50_ms": percentile_ms(query_times[name], 50),
                     "query_p95_ms": percentile_ms(query_times[name], 95), "passages_per_s": len(texts) / seconds,
                     "max_cosine_drift_vs_torch": float(np.max(1.0 - np.sum(vectors * reference, axis=1)))}
    for name in names[1:]:
        out[name]["query_speedup_vs_torch"] = out["torch"]["query_p50_ms"] / out[name]["query_p50_ms"]
        out[name]["passage_speedup_vs_torch"] = out[name]["passages_per_s"] / out["torch"]["passages_per_s"]
    return out


def _query_times(encoders: dict, questions: list[str]) -> dict[str, list[float]]:
    """Seconds per one-question encode, per backend: A B C over the first half, C B A over the second."""
    names = list(encoders)
    times: dict[str, list[float]] = {name: [] for name in names}
    half = len(questions) // 2
    for chunk, order in ((questions[:half], names), (questions[half:], names[::-1])):
        for name in order:
            encoders[name].encode_queries(chunk[:1])  # the previous backend's threads settle first
            times[name] += time_each(lambda q: encoders[name].encode_queries([q]), chunk)
    return times
