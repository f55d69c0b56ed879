"""The encoders of one run, each loaded once, with its load time recorded apart from the figures it is used for.

Three kinds: the project's encoders (one per backend), the strong peer (sentence-transformers' own ONNX backend on
the int8 export the engine uses) and the naive baseline (a plain SentenceTransformer on PyTorch, the same model).
"""

from __future__ import annotations

import time
from pathlib import Path

from nets_search.encode import encoder as encode
from nets_search.encode.model import model_dir


class Models:
    """Loads each encoder on first use and keeps it; `load_seconds` goes into the JSON's meta."""

    def __init__(self, cache: Path, work: Path, notes: list[str]) -> None:
        self.cache = cache
        self.work = work
        self.notes = notes
        self.load_seconds: dict[str, float] = {}
        self._encoders: dict[str, encode.Encoder] = {}
        self._baseline = None
        self._peer = None

    def encoder(self, backend: str = encode.DEFAULT_BACKEND) -> encode.Encoder:
        """The project's encoder for a backend."""
        backend = encode.base_backend(backend)
        if backend not in self._encoders:
            started = time.perf_counter()
            self._encoders[backend] = self._load_encoder(backend)
            self.load_seconds[f"project:{backend}"] = time.perf_counter() - started
        return self._encoders[backend]

    def _load_encoder(self, backend: str) -> encode.Encoder:
        loaded = encode.Encoder(backend, cache_dir=self.cache)
        if backend.startswith("onnx") and loaded.backend == "torch":
            # The export into the shared cache failed (the engine fell back to PyTorch): try once in a fresh
            # folder, so the backend's own figures are still measured, and say so.
            loaded = encode.Encoder(backend, cache_dir=self.work / "fresh-model-cache")
            self.notes.append(f"{backend}: export into {self.cache} failed (engine fell back to PyTorch); "
                              f"exported into a fresh folder instead: loaded as {loaded.backend}")
        return loaded

    def baseline(self):
        """The naive baseline: sentence-transformers on PyTorch, the bundled model, on the CPU."""
        if self._baseline is None:
            from sentence_transformers import SentenceTransformer

            started = time.perf_counter()
            self._baseline = SentenceTransformer(str(model_dir()), device="cpu")
            self.load_seconds["baseline:torch"] = time.perf_counter() - started
        return self._baseline

    def peer(self):
        """The strong peer: sentence-transformers' own ONNX backend on the int8 export for this CPU (the file the
        engine uses, made by `export_dynamic_quantized_onnx_model`), with ONNX Runtime's default session settings."""
        if self._peer is None:
            from sentence_transformers import SentenceTransformer

            from nets_search.encode.onnx_export import export_folder, onnx_file_name

            folder = export_folder(str(model_dir()), "onnx-int8", self.cache)
            started = time.perf_counter()
            self._peer = SentenceTransformer(str(folder), backend="onnx", device="cpu", local_files_only=True,
                                             model_kwargs={"file_name": onnx_file_name("onnx-int8")})
            self.load_seconds["peer:onnx-int8"] = time.perf_counter() - started
        return self._peer
