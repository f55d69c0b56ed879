"""rebuild: what a change to a large corpus costs once every embedding is cached.

On a copy of the whole MedQuAD corpus whose embedding cache is copied from index-beir-medquad/ (or, without it,
the larger build corpus): a full build from the cache, one page edited (in-process with the model preloaded, and
as `nets-search build`, process start and model load included), one page deleted, and nothing changed
(`nets-search build`, with whether torch / transformers were imported: a no-op must not load the model).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import workloads
from nets_search.build.build import BuildSettings, build_index
from nets_search.encode import encoder as encode
from nets_search.index import store

from .files import REPO, copy_sqlite, link_model_cache
from .inputs import Inputs
from .models import Models
from .processes import child_env, nets_search_command


def measure(inputs: Inputs) -> dict:
    plan = inputs.plan
    if plan.medquad_index is not None:
        corpus, cache_from = plan.medquad / "corpus.jsonl", plan.medquad_index
        source = "whole MedQuAD corpus, embeddings copied from index-beir-medquad/cache"
    else:
        corpus, cache_from = inputs.large_corpus(), inputs.built_large_index()
        source = f"{inputs.large_source()} (no MedQuAD index: smaller than the issue means)"
    result = measure_rebuild(corpus, cache_from, plan.work / "rebuild", inputs.models, plan.model_cache)
    result["corpus"] = source
    return result


def measure_rebuild(corpus: Path, cache_from: Path, folder: Path, models: Models, model_cache: Path) -> dict:
    """Rebuilds of a corpus whose embeddings are all cached: edit one page, delete one, change nothing."""
    index = _index_with_copied_cache(folder, cache_from, model_cache)
    backend = encode.base_backend(store.open_current(cache_from)[0].backend)
    encoder, settings = models.encoder(backend), BuildSettings(backend=backend)
    current = folder / "corpus.jsonl"
    shutil.copy(corpus, current)
    ids = workloads.jsonl_ids(current)
    out: dict = {"documents": len(ids), "backend": backend}

    def in_process(label: str) -> None:
        started = time.perf_counter()
        built = build_index(current, index, settings, encoder=encoder)
        out[label] = {"seconds": time.perf_counter() - started, "embedded": built.embedded, "passages": built.passages,
                      "model_preloaded": True}

    in_process("full_from_cache")
    out["edited_doc"] = _change_line(current, edit=len(ids) // 2)
    in_process("edit_one_page")
    _change_line(current, edit=len(ids) // 3)
    out["edit_one_page_cli"] = cli_build(current, index, backend)
    out["deleted_doc"] = _change_line(current, delete=len(ids) // 4)
    in_process("delete_one_page")
    out["nothing_changed_cli"] = cli_build(current, index, backend, check_imports=True)
    return out


def _index_with_copied_cache(folder: Path, cache_from: Path, model_cache: Path) -> Path:
    """An empty index folder whose embedding cache is a copy of another index's, linked to the ONNX export."""
    folder.mkdir(parents=True)
    index = folder / "index"
    (index / "cache").mkdir(parents=True)
    copy_sqlite(cache_from / "cache" / "embeddings.sqlite", index / "cache" / "embeddings.sqlite")
    link_model_cache(index, model_cache)
    return index


def _change_line(corpus: Path, edit: int | None = None, delete: int | None = None) -> str:
    """Edit or delete one line of a JSONL corpus in place; the document's id."""
    changed = corpus.with_name(f"changed-{corpus.name}")
    doc_id = workloads.edit_jsonl(corpus, changed, edit=edit, delete=delete)
    changed.replace(corpus)
    return doc_id


def cli_build(corpus: Path, index: Path, backend: str, check_imports: bool = False) -> dict:
    """`nets-search build` in a fresh process: wall time from process start to exit, and what it embedded.
    check_imports: also whether torch / transformers were imported, from a second identical run under
    PYTHONPROFILEIMPORTTIME (meant for when nothing is to be done: the first run would have done the work)."""
    command = [*nets_search_command(), "build", "--corpus", str(corpus), "--index", str(index), "--quiet", "--backend", backend]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=child_env())
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"nets-search build failed: {done.stderr.strip()[-500:]}")
    found = re.search(r"\((\d+) embedded", done.stdout)
    out = {"seconds": seconds, "embedded": int(found.group(1)) if found else 0, "output": done.stdout.strip().splitlines()[0]}
    if check_imports:
        out.update(_heavy_imports(command))
    return out


def _heavy_imports(command: list[str]) -> dict:
    traced = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env={**child_env(), "PYTHONPROFILEIMPORTTIME": "1"})
    imported = {line.rsplit("|", 1)[-1].strip() for line in traced.stderr.splitlines() if line.startswith("import time:")}
    return {"torch_imported": "torch" in imported, "transformers_imported": "transformers" in imported}
