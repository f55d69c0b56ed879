"""The engine's settings from the environment, read in one place into one frozen value: what a searcher, the
encoder's ONNX session and the feedback store use. (The page's own settings are `page_setup.PageConfig`.) A value
that cannot be read stops with one line naming the variable, never a traceback."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from nets_search.errors import NetsSearchError


@dataclass(frozen=True)
class EngineSettings:
    backend: str = "onnx-int8"  # NETS_SEARCH_BACKEND: onnx-int8, onnx or torch
    query_cache: int = 2048  # NETS_SEARCH_QUERY_CACHE: recent questions' vectors kept per searcher (0: none)
    ort_threads: int = 1  # NETS_SEARCH_ORT_THREADS: ONNX Runtime threads per question
    ort_spinning: bool = False  # NETS_SEARCH_ORT_SPINNING: let ONNX Runtime's idle threads spin
    ort_solo: bool = True  # NETS_SEARCH_ORT_SOLO: a question alone in the process may use two spinning threads
    feedback_days: int = 180  # NETS_SEARCH_FEEDBACK_DAYS: how long readers' replies are kept
    vector_engine: str = ""  # NETS_SEARCH_VECTORS: where a build keeps vectors (vectors.ENGINES; "": the default)
    qdrant_url: str = ""  # NETS_SEARCH_QDRANT_URL: a Qdrant server or cluster
    qdrant_api_key: str = ""  # NETS_SEARCH_QDRANT_API_KEY
    qdrant_prefix: str = "nets-search"  # NETS_SEARCH_QDRANT_PREFIX: names this index's collections and aliases
    keep_versions: int = 5  # NETS_SEARCH_KEEP_VERSIONS: index versions kept on disk (what "go back" can reach)


def engine_settings(environ: Mapping[str, str] | None = None) -> EngineSettings:
    env = os.environ if environ is None else environ
    return EngineSettings(
        backend=default_backend(env),
        query_cache=_whole_number(env, "NETS_SEARCH_QUERY_CACHE", EngineSettings.query_cache, minimum=0),
        ort_threads=_whole_number(env, "NETS_SEARCH_ORT_THREADS", EngineSettings.ort_threads, minimum=1),
        ort_spinning=is_on(env.get("NETS_SEARCH_ORT_SPINNING")),
        ort_solo=is_on(env.get("NETS_SEARCH_ORT_SOLO", "1")),
        feedback_days=_whole_number(env, "NETS_SEARCH_FEEDBACK_DAYS", EngineSettings.feedback_days, minimum=1),
        vector_engine=env.get("NETS_SEARCH_VECTORS", "").strip().lower(),
        qdrant_url=env.get("NETS_SEARCH_QDRANT_URL", "").strip(),
        qdrant_api_key=env.get("NETS_SEARCH_QDRANT_API_KEY", "").strip(),
        qdrant_prefix=env.get("NETS_SEARCH_QDRANT_PREFIX", "").strip() or EngineSettings.qdrant_prefix,
        keep_versions=keep_versions(env),
    )


MIN_KEEP_VERSIONS = 2  # the one in use and one to go back to


def keep_versions(environ: Mapping[str, str] | None = None) -> int:
    """NETS_SEARCH_KEEP_VERSIONS alone (a build reads it after publishing, where another bad setting must not
    stop it): how many index versions a build keeps, at least MIN_KEEP_VERSIONS."""
    env = os.environ if environ is None else environ
    return _whole_number(env, "NETS_SEARCH_KEEP_VERSIONS", EngineSettings.keep_versions, minimum=MIN_KEEP_VERSIONS)


def default_backend(environ: Mapping[str, str] | None = None) -> str:
    """NETS_SEARCH_BACKEND alone (the encoder reads it at import, where a bad other setting must not stop it;
    an unknown backend name is refused by the Encoder, with the names it knows)."""
    env = os.environ if environ is None else environ
    return env.get("NETS_SEARCH_BACKEND", "").strip() or EngineSettings.backend


def _whole_number(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < minimum:
        raise NetsSearchError(f"{name}={text!r}: give a whole number of at least {minimum}")
    return int(text)


def is_on(value: str | None) -> bool:
    """A yes/no setting: 1, true, yes or on (any case) is yes; anything else, or nothing, is no."""
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}
