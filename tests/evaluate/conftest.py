"""What the evaluation tests share: a small JSONL writer and a tiny BEIR folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


TINY_DOCS = [
    ("d1", "Sourdough bread", "Sourdough bread is leavened with a starter of wild yeast and lactic acid bacteria."),
    ("d2", "Asthma", "Asthma narrows the airways of the lungs and causes wheezing and shortness of breath."),
    ("d3", "Gout", "Gout is a painful swelling of the big toe joint caused by uric acid crystals."),
    ("d4", "Hay fever", "Hay fever is an allergy to pollen that causes sneezing and itchy, watery eyes."),
]
TINY_QUERIES = [
    ("t1", "why do I wheeze when I breathe"),
    ("t2", "painful big toe joint"),
    ("t3", "pollen allergy sneezing"),
    ("t9", "a query judged only in the test split"),
]


@pytest.fixture
def tiny_beir(tmp_path) -> Path:
    """A BEIR folder: 4 documents, 3 judged dev queries (one with a graded 2), one test-split query."""
    folder = tmp_path / "tiny"
    (folder / "qrels").mkdir(parents=True)
    lines = [json.dumps({"_id": i, "title": t, "text": x}) for i, t, x in TINY_DOCS]
    write(folder / "corpus.jsonl", *lines)
    write(folder / "queries.jsonl", *(json.dumps({"_id": i, "text": t}) for i, t in TINY_QUERIES))
    write(folder / "qrels" / "dev.tsv", "query-id\tcorpus-id\tscore", "t1\td2\t2", "t2\td3\t1", "t3\td4\t1", "t3\td2\t0")
    write(folder / "qrels" / "test.tsv", "query-id\tcorpus-id\tscore", "t9\td1\t1")
    return folder
