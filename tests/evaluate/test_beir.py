"""BEIR folders: reading them, what a malformed one is told, and document-level scores."""

from __future__ import annotations

import pytest

from nets_search.errors import EvaluationError
from nets_search.evaluate.beir import doc_scores, load_beir
from nets_search.types import Passage, Result, SearchResponse

from .conftest import write

# --------------------------------------------------------------------------- BEIR

def test_load_beir_picks_the_first_split_and_its_queries(tiny_beir):
    data = load_beir(tiny_beir)
    assert (data.name, data.split, data.corpus) == ("tiny", "dev", tiny_beir / "corpus.jsonl")
    assert list(data.queries) == ["t1", "t2", "t3"]  # t9 is judged in test only
    assert data.qrels["t3"] == {"d4": 1, "d2": 0} and data.qrels["t1"] == {"d2": 2}
    assert list(load_beir(tiny_beir, "test").queries) == ["t9"]


@pytest.mark.parametrize(
    "split, damage, message",
    [
        ("train", lambda f: None, "no qrels/train.tsv (splits available: dev, test)"),
        ("train", lambda f: write(f / "qrels" / "train.tsv", "t1 d1 1"), "train.tsv:1: expected 3 tab-separated columns"),
        ("train", lambda f: write(f / "qrels" / "train.tsv", "t1\td1\tyes"), "train.tsv:1: the score 'yes' is not a whole number"),
        ("train", lambda f: write(f / "qrels" / "train.tsv", "t7\td1\t1"), "query 't7' is not in queries.jsonl"),
        ("dev", lambda f: (f / "queries.jsonl").write_text('{"_id": "t1"}\n'), "queries.jsonl:1: each line needs '_id' and 'text'"),
        (None, lambda f: (f / "corpus.jsonl").unlink(), "no corpus.jsonl in the BEIR folder"),
    ],
)
def test_malformed_beir_folders(tiny_beir, split, damage, message):
    damage(tiny_beir)
    with pytest.raises(EvaluationError) as caught:
        load_beir(tiny_beir, split)
    assert message in str(caught.value)


def test_a_document_scores_as_its_best_passage():
    results = (
        Result(1, 0.9, Passage("p1", "A", "A", "", "a1", 0, 0)),
        Result(2, 0.7, Passage("p2", "B", "B", "", "b1", 0, 0)),
        Result(3, 0.5, Passage("p3", "A", "A", "", "a2", 1, 0)),
    )
    assert doc_scores(SearchResponse("q", results)) == {"A": 0.9, "B": 0.7}
