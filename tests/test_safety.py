"""Nothing unsafe is loaded (issue 6, item 5): no pickle or other code-running deserialisation in our source or in
a built index, model weights only from safetensors, and no rebuild or file action on the public page.
"""

from __future__ import annotations

import ast
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nets_search.encode import encoder as encode
from nets_search.index import layout, store

from .conftest import REPO

SOURCES = sorted((REPO / "nets_search").rglob("*.py")) + [p for p in (REPO / "app.py", REPO / "embed.py") if p.is_file()]
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}
UNSAFE_CALLS = {"torch.load", "yaml.load", "yaml.unsafe_load", "yaml.full_load", "numpy.load", "np.load", "eval", "exec"}
PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
WEIGHT_SUFFIXES = {".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".h5", ".msgpack", ".joblib", ".npz", ".npy"}


def unsafe_uses(source: str) -> list[str]:
    """Code-running deserialisation in one Python source: unsafe imports and calls, pickle switched on."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNSAFE_MODULES:
            found.append(f"from {node.module} import")
        elif isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name in UNSAFE_CALLS and not (name.endswith("np.load") or name == "numpy.load") or name.startswith("pickle."):
                found.append(f"call {name}")
            for keyword in node.keywords:
                arg = keyword.arg or ""
                value = keyword.value.value if isinstance(keyword.value, ast.Constant) else "?"
                if arg == "allow_pickle" and value is not False:
                    found.append(f"{name}(allow_pickle={value})")
                elif "allow_dangerous" in arg or (arg == "trust_remote_code" and value is not False):
                    found.append(f"{name}({arg}={value})")
        elif isinstance(node, ast.Name | ast.Attribute) and "allow_dangerous" in ast.unparse(node):
            found.append(ast.unparse(node))
    return found


def test_the_checker_finds_what_it_looks_for():
    bad = (
        "import pickle\nfrom joblib import load\nimport torch\ntorch.load('w.pt')\nnp.load('x.npy', allow_pickle=True)\n"
        "FAISS.load_local('x', allow_dangerous_deserialization=True)\nyaml.load(text)\nbm25s.BM25.load(p, allow_pickle=flag)\n"
    )
    assert len(unsafe_uses(bad)) == 7
    assert unsafe_uses("bm25s.BM25.load(p, allow_pickle=False)\nyaml.safe_load(t)\nnp.load(p)\n") == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_pickle_or_dangerous_deserialisation_in_the_source(path):
    text = path.read_text(encoding="utf-8")
    assert unsafe_uses(text) == []
    for token in ("torch.load", "allow_dangerous", "allow_pickle=True", "import pickle"):
        assert token not in text, f"{path.name} mentions {token}"


def test_the_bundled_model_holds_its_weights_only_as_safetensors():
    folder = encode.model_dir()
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert [p.name for p in files if p.suffix == ".safetensors"] == ["model.safetensors"]
    assert not [p.name for p in files if p.suffix.lower() in WEIGHT_SUFFIXES]
    for path in files:
        head = path.open("rb").read(4)
        assert not head.startswith(PICKLE_MAGIC) and head != b"PK\x03\x04", f"{path.name} is a pickle or a zip"
    # A real safetensors file: an 8-byte header length, a JSON header, then exactly the tensors it declares.
    weights = folder / "model.safetensors"
    with weights.open("rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    assert tensors and max(v["data_offsets"][1] for v in tensors.values()) == weights.stat().st_size - 8 - length


LOAD_WITHOUT_UNPICKLING = r"""
import pickle, sys
import torch
import sentence_transformers, transformers  # imported first: their classes may subclass the unpicklers

def refuse(*args, **kwargs):
    raise AssertionError("an unpickler was used to load the model")

class RefusingUnpickler(pickle.Unpickler):
    __init__ = refuse

class RefusingPyUnpickler(pickle._Unpickler):
    __init__ = refuse

torch.load = pickle.load = pickle.loads = refuse
pickle.Unpickler, pickle._Unpickler = RefusingUnpickler, RefusingPyUnpickler
from nets_search.encode.encoder import Encoder
encoder = Encoder("torch")
print(encoder.backend, encoder.encode_queries(["is flushing a symptom?"]).shape)
"""


def test_the_model_loads_with_every_unpickler_switched_off():
    out = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_UNPICKLING], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["torch", "(1,", "384)"]


def test_a_built_index_holds_no_pickle(seed_index):
    root = Path(seed_index)
    folder = store.version_dir(root, store.current_version(root))
    files = [p for p in root.rglob("*") if p.is_file()]
    assert any(p.parent.name == "lexical" for p in files)
    for path in files:
        head = path.open("rb").read(16)
        assert not head.startswith(PICKLE_MAGIC), f"{path} is a pickle"
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)  # raises if the array needs unpickling
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".sqlite":
            assert head == b"SQLite format 3\x00"
    engine = store.read_manifest(folder).vector_engine
    head = (folder / layout.VECTORS_FILE).read_bytes()[:6]
    assert head[:4] in (b"IxFI", b"IHNf") if engine == "faiss" else head == b"\x93NUMPY", engine  # FAISS's or NumPy's


# --------------------------------------------------------------------------- the public page

PAGE = REPO / "nets_search" / "page" / "reader.py"
# the readers' page, its parts, and the editor panel's modules it may draw
PAGE_MODULES = (PAGE, *sorted(p for p in (REPO / "nets_search" / "page").glob("*.py")
                              if p.name in ("reply.py", "announce.py") or p.name.startswith("editor")))
EDITOR_ACTIONS = {"rebuild_and_check", "add_golden_question", "complete_golden_question"}


def _page_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """For each module-level function of the page's modules: the names it uses outside editor-only branches, and
    all of them.

    An editor-only branch is an `if` whose test reads `.editor` (e.g. `if config.editor:`)."""
    public: dict[str, set[str]] = {}
    every: dict[str, set[str]] = {}

    def names(node: ast.AST, skip_editor: bool) -> set[str]:
        out: set[str] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            if skip_editor and isinstance(current, ast.If) and ".editor" in ast.unparse(current.test):
                stack.extend(current.orelse)
                continue
            if isinstance(current, ast.Name):
                out.add(current.id)
            elif isinstance(current, ast.Attribute):
                out.add(current.attr)
            elif isinstance(current, ast.alias):
                out.add(current.asname or current.name)
            stack.extend(ast.iter_child_nodes(current))
        return out

    for module in PAGE_MODULES:
        for node in ast.parse(module.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef):
                public[node.name] = names(node, skip_editor=True)
                every[node.name] = names(node, skip_editor=False)
    return public, every


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(n for n in graph.get(name, ()) if n in graph or n in EDITOR_ACTIONS)
    return seen


def test_the_public_page_reaches_no_rebuild_or_file_action_outside_editor_mode():
    assert PAGE.is_file() and ".editor" in PAGE.read_text(encoding="utf-8"), "the page's editor switch moved"
    public, every = _page_graph()
    assert "main" in public
    assert EDITOR_ACTIONS <= _reach(every, "main"), "the editor actions moved: update this test"
    reachable = _reach(public, "main")
    assert not reachable & EDITOR_ACTIONS, f"reachable outside editor mode: {sorted(reachable & EDITOR_ACTIONS)}"
    assert "render_editor_panel" not in reachable
