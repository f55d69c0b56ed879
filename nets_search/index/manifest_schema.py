"""What a version's manifest.json may hold, written as code: each field's type and allowed values.

manifest_file.read_manifest checks a manifest against this after its own checksum (manifest.sha256) matched, so a
manifest that was edited by hand, written by a bug or forged together with its checksum is refused as damage in one
line, instead of failing later, deep in the code that trusts it ("retrieval": null, "vector_engine": "bogus").
Messages name the field and what it should be, never the value found: no file content reaches a message.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Iterable

from nets_search.index import vectors

VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")  # no "/", no leading dot: stays inside versions/
SHA256 = re.compile(r"[0-9a-f]{64}")
PART = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}"
FILE_NAME = re.compile(rf"{PART}(/{PART}){{0,3}}")  # relative, inside the version folder, no "..": lexical/vocab.index.json
BACKEND = re.compile(r"torch|onnx|onnx-int8(-[a-z0-9_]{1,32})?")  # onnx-int8-avx2: per CPU family (onnx_export.py)
UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
MODEL_HASH = re.compile(r"[0-9a-f]{16}")
INDEX_TYPES = {name: vectors.engine(name).index_types for name in vectors.ENGINES}
# A key of 'files': a page's doc id (its `_id` in a JSONL corpus) or a settings file's name, 1 to this many
# characters (code points). Corpus loading must refuse a longer or empty id before a build embeds anything.
MAX_PAGE_NAME = 1000


def _whole(value: object) -> bool:
    return type(value) is int  # JSON true/false are bools, which Python counts as ints


def _number(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _scalar(value: object) -> bool:
    return type(value) in (str, int, float, bool) and (type(value) is not float or math.isfinite(value))


def _mapping(keys: Callable[[str], object], values: Callable[[object], object], non_empty: bool = False):
    def check(value: dict) -> bool:
        return (bool(value) or not non_empty) and all(
            isinstance(k, str) and keys(k) and values(v) for k, v in value.items())
    return check


def _settings(value: dict) -> bool:
    """BM25's settings, the fusion settings (one level down) and the no-good-match signals version."""
    flat = all(_scalar(v) or (isinstance(v, dict) and all(_scalar(x) for x in v.values())) for v in value.values())
    return flat and _whole(value.get("signals"))


@dataclass(frozen=True)
class Field:
    kind: type | tuple[type, ...]
    meaning: str  # what the value should be, for the message
    check: Callable = lambda value: True


FIELDS: dict[str, Field] = {
    "format_version": Field(int, "a whole number", lambda v: _whole(v) and v >= 0),
    "version": Field(str, "a version name", VERSION_NAME.fullmatch),
    "model": Field(str, "a model name", lambda v: 0 < len(v) <= 200 and v.isprintable()),
    "model_hash": Field(str, "16 hexadecimal digits", MODEL_HASH.fullmatch),
    "backend": Field(str, "an encoder backend (torch, onnx, onnx-int8-...)", BACKEND.fullmatch),
    "dimensions": Field(int, "a whole number from 1 to 4096", lambda v: _whole(v) and 1 <= v <= 4096),
    "max_seq_length": Field(int, "a whole number from 1 to 100000", lambda v: _whole(v) and 1 <= v <= 100_000),
    "splitter": Field(dict, "the splitter's whole-number settings", _mapping(bool, _whole, non_empty=True)),
    "retrieval": Field(dict, "the retrieval settings with a signals version", _settings),
    "files": Field(dict, f"page names (1 to {MAX_PAGE_NAME} characters) with their sha256",
                   _mapping(lambda k: 0 < len(k) <= MAX_PAGE_NAME, lambda v: isinstance(v, str) and SHA256.fullmatch(v))),
    "passages": Field(int, "a whole number, 0 or more", lambda v: _whole(v) and v >= 0),
    "index_type": Field(str, "a known index type", lambda v: any(v in types for types in INDEX_TYPES.values())),
    "built_at": Field(str, "a UTC time (YYYY-MM-DDTHH:MM:SSZ)", UTC_TIME.fullmatch),
    "build_seconds": Field((int, float), "a number of seconds, 0 or more", lambda v: _number(v) and v >= 0),
    "checksums": Field(dict, "the version's files with their sha256", _mapping(FILE_NAME.fullmatch, lambda v: isinstance(v, str) and SHA256.fullmatch(v), non_empty=True)),
    "vector_engine": Field(str, f"one of {', '.join(vectors.ENGINES)}", lambda v: v in vectors.ENGINES),
}


def problem(data: object, required_files: Iterable[str]) -> str | None:
    """What is wrong with a parsed manifest (one short phrase), or None if it fits the schema and lists a checksum
    for every file in `required_files`."""
    if not isinstance(data, dict):
        return "the manifest is not a JSON object"
    for name, field in FIELDS.items():
        if name not in data:
            return f"the manifest has no field '{name}'"
        value = data[name]
        if not isinstance(value, field.kind) or (field.kind is int and not _whole(value)) or not field.check(value):
            return f"the manifest's '{name}' is not {field.meaning}"
    unknown = len(set(data) - set(FIELDS))
    if unknown:
        return f"the manifest has {unknown} field(s) this release does not know"
    if data["index_type"] not in INDEX_TYPES[data["vector_engine"]]:
        return "the manifest's 'index_type' does not belong to its 'vector_engine'"
    missing = sorted(set(required_files) - set(data["checksums"]))
    if missing:
        return f"the manifest lists no checksum for {missing[0]}" + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
    return None
