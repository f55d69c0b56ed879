"""ONNX Runtime backends for the encoder: exported locally from the bundled weights (never downloaded), int8
quantised for this CPU's instruction set, cached in a folder keyed by the model's hash, with a fallback to
PyTorch and a clear message if anything fails."""

from __future__ import annotations

import fcntl
import logging
import os
import platform
import shutil
import sys
import uuid
import warnings
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def cpu_quantization_config() -> str:
    """The dynamic-quantisation configuration matching this CPU (arm64, avx512_vnni, avx512 or avx2)."""
    if platform.machine().lower() in ("aarch64", "arm64"):
        return "arm64"
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        flags = set()
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    if "avx512f" in flags and "avx512bw" in flags:
        return "avx512"
    return "avx2"


def resolved_backend(backend: str) -> str:
    """The backend name that vectors depend on: int8 models differ per quantisation configuration."""
    return f"onnx-int8-{cpu_quantization_config()}" if backend == "onnx-int8" else backend


def onnx_file_name(backend: str) -> str:
    return f"onnx/model_qint8_{cpu_quantization_config()}.onnx" if backend == "onnx-int8" else "onnx/model.onnx"


def export_folder(model_folder: str, backend: str, cache_dir: Path) -> Path:
    """A folder holding the model and its ONNX export for `backend`, exported on first use.

    Page processes started together may all want the export: one exports under a lock, the others wait and
    find it. A new file is moved into place whole, so a process loading the folder never sees half of one."""
    from nets_search.encode.model import model_hash

    target = Path(cache_dir) / "onnx" / model_hash()
    if (target / onnx_file_name(backend)).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / ".export.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / onnx_file_name(backend)).is_file():
            _export(model_folder, backend, target)
    return target


def _export(model_folder: str, backend: str, target: Path) -> None:
    from sentence_transformers import SentenceTransformer

    staging = target.parent / f".tmp-{uuid.uuid4().hex[:8]}"
    shutil.copytree(target if target.is_dir() else model_folder, staging)
    try:
        _quiet_export_logs()
        model = SentenceTransformer(str(staging), backend="onnx", device="cpu", local_files_only=True)
        if not (staging / "onnx" / "model.onnx").is_file():  # a first export: keep the fp32 ONNX model too
            model.save(str(staging))
        if backend == "onnx-int8":
            from sentence_transformers import export_dynamic_quantized_onnx_model

            export_dynamic_quantized_onnx_model(model, cpu_quantization_config(), str(staging))
        if target.is_dir():  # add the new file beside the ones in use
            os.replace(staging / onnx_file_name(backend), target / onnx_file_name(backend))
        else:
            staging.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def session_options():
    """One thread per encode, no spinning (NETS_SEARCH_ORT_THREADS and NETS_SEARCH_ORT_SPINNING=1 override).

    Measured on 2 cores (benchmarks/bench.py, MedQuAD questions): a question of ~15 word pieces encodes as fast on
    one thread as on two (1.7 against 1.9 ms), and concurrent searches then run side by side instead of fighting
    over both cores; spinning worker threads make the encode itself faster but steal the core that the vector
    search, BM25 and a second reader need."""
    import onnxruntime

    from nets_search.settings import engine_settings

    settings = engine_settings()
    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if settings.ort_spinning else "0")
    options.intra_op_num_threads = settings.ort_threads
    options.inter_op_num_threads = 1
    return options


def solo_session_options():
    """For a question encoded while no other encode runs: two threads (or one on a one-core machine), spinning.
    Measured on 2 cores, 200 MedQuAD questions of ~15 word pieces: 1.9 ms p50 against 2.7 ms on the one-thread
    session (two threads without spinning: 2.95 ms, the hand-over costs more than the second core gives). It is
    taken only when nothing else is encoding, and its threads stop spinning when the run ends, so a search that
    starts meanwhile shares the cores with it for a few milliseconds at most (NETS_SEARCH_ORT_SOLO=0: never)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "1")
    options.add_session_config_entry("session.force_spinning_stop", "1")  # spin between layers, not after the run
    options.intra_op_num_threads = min(os.cpu_count() or 1, 2)
    options.inter_op_num_threads = 1
    return options


def batch_session_options():
    """For a build's batches of passages: every core, threads asleep between batches."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def _quiet_export_logs() -> None:
    """The one-off export is noisy (tracer warnings, save hints): keep the editor's terminal readable."""
    warnings.filterwarnings("ignore", module="transformers")
    warnings.filterwarnings("ignore", category=UserWarning)
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)


def load_onnx_model(model_folder: str, backend: str, cache_dir: Path | None):
    """(model, backend name) on ONNX Runtime, or the PyTorch model if the export or load fails."""
    from nets_search.encode.ort_model import OrtSentenceModel
    from nets_search.settings import engine_settings

    cache_dir = Path(cache_dir) if cache_dir else Path.home() / ".cache" / "nets-search"
    try:
        folder = export_folder(model_folder, backend, cache_dir)
        solo = solo_session_options if engine_settings().ort_solo else None
        return (OrtSentenceModel(folder, onnx_file_name(backend), session_options(), batch_session_options, solo),
                resolved_backend(backend))
    except Exception as exc:  # any failure of the optional fast path falls back to the reference backend
        print(f"nets-search: ONNX backend unavailable ({type(exc).__name__}: {exc}); using PyTorch", file=sys.stderr)
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(model_folder, device="cpu", local_files_only=True), "torch"
