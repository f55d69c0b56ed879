"""The sentence encoder: the bundled all-MiniLM-L6-v2, loaded offline, on a backend chosen once.

Importing this module is cheap; torch and sentence-transformers load only when an `Encoder` is created,
so a build with nothing to embed never pays for them.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

from nets_search.errors import NetsSearchError
from nets_search.settings import default_backend
from nets_search.encode.model import DIMENSIONS, MAX_SEQ_LENGTH, MODEL_NAME, model_dir, model_hash

BACKENDS = ("torch", "onnx", "onnx-int8")
DEFAULT_BACKEND = default_backend()  # read at import


def model_key(backend: str) -> str:
    """What an embedding depends on: the weights and the backend that ran them (int8: per CPU family)."""
    from nets_search.encode.onnx_export import resolved_backend

    return f"{MODEL_NAME}@{model_hash()}/{resolved_backend(base_backend(backend))}"


def base_backend(backend: str) -> str:
    """'onnx-int8-avx2' (as recorded in a manifest) -> 'onnx-int8' (what to load on this machine)."""
    return "onnx-int8" if backend.startswith("onnx-int8") else backend


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no deprecation notes in an editor's build output


class Encoder:
    """Holds the loaded model. Queries and passages are encoded by separate calls."""

    def __init__(self, backend: str = DEFAULT_BACKEND, cache_dir: Path | None = None) -> None:
        backend = base_backend(backend)
        if backend not in BACKENDS:
            raise NetsSearchError(f"unknown encoder backend '{backend}' (choose from {', '.join(BACKENDS)})")
        _offline()
        self.requested_backend = backend
        self.model, self.backend = _load(backend, cache_dir)
        self.model.max_seq_length = MAX_SEQ_LENGTH
        self.key = model_key(self.backend)
        # PyTorch: one encode at a time (searches, a rebuild and checks share one Encoder). An ONNX Runtime session
        # runs calls from several threads at once, each on its own thread (see onnx_export.session_options).
        self._lock = threading.Lock() if self.backend == "torch" else contextlib.nullcontext()

    @property
    def tokenizer(self):
        return self.model.tokenizer

    def sharing(self):
        """A context in which several encodes run side by side (ONNX Runtime: none takes every core)."""
        sharing = getattr(self.model, "sharing", None)
        return sharing() if sharing else contextlib.nullcontext()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, batch_size=32)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._encode(texts, batch_size=batch_size)

    def token_counts(self, texts: list[str]) -> list[int]:
        """Length of each text in the model's own word pieces (special tokens included), untruncated."""
        encoded = self.tokenizer(texts, add_special_tokens=True, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class SharedEncoder:
    """One `Encoder` for a whole run, loaded on first use: a build, its calibration and its golden-question check
    (and an evaluation's build and searchers) all encode with it, so the model is loaded once per run, and not at
    all by a build with nothing to embed. Until then `key` is the key the backend is expected to give; everything
    else is the loaded Encoder's."""

    def __init__(self, backend: str = DEFAULT_BACKEND, cache_dir: Path | None = None) -> None:
        self.requested_backend = base_backend(backend)
        self.cache_dir = cache_dir
        self._encoder: Encoder | None = None
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        return self._encoder.key if self._encoder else model_key(self.requested_backend)

    def get(self) -> Encoder:
        with self._lock:
            if self._encoder is None:
                self._encoder = Encoder(self.requested_backend, cache_dir=self.cache_dir)
            return self._encoder

    def __getattr__(self, name: str):
        return getattr(self.get(), name)


def loaded_encoder(encoder, backend: str, cache_dir: Path | None) -> Encoder:
    """The Encoder to embed with now: the given one (loading a SharedEncoder), or a new one if none was given."""
    if isinstance(encoder, SharedEncoder):
        return encoder.get()
    return encoder or Encoder(backend, cache_dir=cache_dir)


def _load(backend: str, cache_dir: Path | None):
    folder = str(model_dir())
    if backend != "torch":
        from nets_search.encode.onnx_export import load_onnx_model

        return load_onnx_model(folder, backend, cache_dir)
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    return SentenceTransformer(folder, device="cpu", local_files_only=True), "torch"


# --------------------------------------------------------------------------- questions, one by one


class RecentVectors:
    """What was encoded for the most recently searched questions (least recently used out first); size 0 keeps
    none."""

    def __init__(self, size: int) -> None:
        self._size = max(0, size)
        self._items: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> object | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: str, value: object) -> object:
        if self._size:
            with self._lock:
                self._items[key] = value
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return value


def encode_one_by_one(encoder, texts: list[str]) -> np.ndarray:
    """Each text encoded on its own: an int8 model quantises each call's activations together, so a text encoded in a
    batch comes out slightly different from the same text alone; alone, a question always gets one vector (and the
    key gap, question against question without the words our pages lack, does not depend on what else was encoded
    with it). The first text is encoded here while the others go to a helper thread, so on two cores a question with
    a variant costs about one encode of time, not two. Read-only: the vectors are shared through the caches."""
    with encoder.sharing() if len(texts) > 1 else contextlib.nullcontext():
        others = [helper_pool().submit(encoder.encode_queries, [text]) for text in texts[1:]]
        first = encoder.encode_queries(texts[:1])[0]
        vectors = np.stack([first, *(job.result()[0] for job in others)])
    vectors.flags.writeable = False
    return vectors


@lru_cache(maxsize=1)
def helper_pool() -> ThreadPoolExecutor:
    """Threads for the encodes of questions' variants, each beside its question's own encode (ONNX Runtime
    releases the GIL), and for BM25 beside the vector scan on a large index (search.Searcher._run_retrievers).
    Measured in one process, interleaved: seed-index p50 3.1 ms against 4.6 ms encoding both in turn. Jobs never
    wait on one another, so a few threads serve any number of concurrent searches."""
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="nets-search-helper")
