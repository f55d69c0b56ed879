"""Timing one call per item, percentiles in milliseconds, and progress lines on stderr."""

from __future__ import annotations

import sys
import time
from typing import Callable

import numpy as np

_T0 = time.perf_counter()


def time_each(fn: Callable, items: list) -> list[float]:
    """Seconds of `fn(item)` for each item, one at a time."""
    out = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - started)
    return out


def percentile_ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def summary_ms(values: list[float]) -> dict:
    return {"p50_ms": percentile_ms(values, 50), "p95_ms": percentile_ms(values, 95),
            "mean_ms": float(np.mean(values) * 1000.0), "n": len(values)}


def say(message: str) -> None:
    """A progress line on stderr, with seconds since the run started."""
    print(f"[{time.perf_counter() - _T0:6.0f} s] {message}", file=sys.stderr, flush=True)
