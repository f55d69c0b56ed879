"""BEIR-format datasets (corpus.jsonl, queries.jsonl, qrels/*.tsv): loading them, and scoring a retriever at
document level (a document scores its best passage)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from nets_search.errors import EvaluationError
from nets_search.jsonl import json_lines
from nets_search.evaluate.metrics import METRICS, MetricScore, Qrels, Results, part_of
from nets_search.types import SearchResponse

SearchFn = Callable[[str], SearchResponse]
BEIR_DEPTH = 100  # passages fetched per BEIR query; the Searcher returns at most 100
BEIR_CUTOFFS = (("ndcg@10", "ndcg", 10), ("mrr@10", "mrr", 10), ("recall@10", "recall", 10), ("recall@100", "recall", 100))


# --------------------------------------------------------------------------- BEIR datasets


@dataclass(frozen=True)
class BeirDataset:
    name: str
    corpus: Path
    queries: Mapping[str, str]  # only the queries judged in the chosen split, in queries.jsonl order
    qrels: Mapping[str, Mapping[str, int]]
    split: str


def load_beir(folder: Path, split: str | None = None) -> BeirDataset:
    """A BEIR folder: corpus.jsonl, queries.jsonl and qrels/<split>.tsv.

    Without `split`, the only qrels file is used, or the first by name (dev before test before train).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise EvaluationError(f"{folder}: BEIR folder not found")
    corpus = folder / "corpus.jsonl"
    if not corpus.is_file():
        raise EvaluationError(f"{folder}: no corpus.jsonl in the BEIR folder")
    qrels_file = _qrels_file(folder, split)
    qrels = load_qrels(qrels_file)
    all_queries = load_queries(folder / "queries.jsonl")
    missing = [qid for qid in qrels if qid not in all_queries]
    if missing:
        raise EvaluationError(f"{qrels_file}: query '{missing[0]}' is not in queries.jsonl ({len(missing)} missing)")
    queries = {qid: text for qid, text in all_queries.items() if qid in qrels}
    return BeirDataset(folder.resolve().name, corpus, queries, qrels, qrels_file.stem)


def _qrels_file(folder: Path, split: str | None) -> Path:
    available = sorted((folder / "qrels").glob("*.tsv")) if (folder / "qrels").is_dir() else []
    if not available:
        raise EvaluationError(f"{folder}: no qrels/*.tsv files in the BEIR folder")
    if split is None:
        return available[0]
    chosen = folder / "qrels" / f"{split}.tsv"
    if not chosen.is_file():
        names = ", ".join(p.stem for p in available)
        raise EvaluationError(f"{folder}: no qrels/{split}.tsv (splits available: {names})")
    return chosen


def load_queries(path: Path) -> dict[str, str]:
    """{query id: text} from a BEIR queries.jsonl (`_id` and `text` on each line)."""
    queries: dict[str, str] = {}
    for number, record in json_lines(path):
        if not isinstance(record, dict) or "_id" not in record or not isinstance(record.get("text"), str):
            raise EvaluationError(f"{path}:{number}: each line needs '_id' and 'text'")
        queries[str(record["_id"])] = record["text"]
    return queries


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """{query id: {doc id: grade}} from a tab-separated qrels file; a 'query-id' header line is allowed."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise EvaluationError(f"{path}: not valid UTF-8 text") from None
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or (number == 1 and line.lower().startswith("query-id")):
            continue
        cells = line.rstrip("\r\n").split("\t")
        if len(cells) != 3:
            raise EvaluationError(f"{path}:{number}: expected 3 tab-separated columns (query-id, corpus-id, score)")
        try:
            grade = int(cells[2])
        except ValueError:
            raise EvaluationError(f"{path}:{number}: the score '{cells[2]}' is not a whole number") from None
        qrels.setdefault(cells[0], {})[cells[1]] = grade
    if not qrels:
        raise EvaluationError(f"{path}: no judgements in the qrels file")
    return qrels


def doc_scores(response: SearchResponse) -> dict[str, float]:
    """Passage results to document results: a document scores as its best passage."""
    scores: dict[str, float] = {}
    for result in response.results:
        doc = result.passage.doc_id
        if doc not in scores or result.score > scores[doc]:
            scores[doc] = result.score
    return scores


def run_queries(search_fn: SearchFn, queries: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """Results in BEIR shape, {query id: {doc id: score}}, from a passage search."""
    return {qid: doc_scores(search_fn(text)) for qid, text in queries.items()}


@dataclass(frozen=True)
class BeirScores:
    metrics: Mapping[str, MetricScore]  # "ndcg@10", "mrr@10", "recall@10", "recall@100"
    queries: int
    seconds: float = 0.0

    def to_dict(self, per_query: bool = True) -> dict:
        out: dict = {name: round(score.mean, 4) for name, score in self.metrics.items()}
        first = next(iter(self.metrics.values()), None)
        out.update(
            queries=self.queries,
            evaluated=first.evaluated if first else 0,
            skipped=len(first.skipped) if first else 0,
            seconds=round(self.seconds, 2),
        )
        if per_query and "ndcg@10" in self.metrics:
            out["per_query_ndcg@10"] = {q: round(v, 4) for q, v in self.metrics["ndcg@10"].per_query.items()}
        return out


def beir_metrics(results: Results, qrels: Qrels) -> dict[str, MetricScore]:
    """nDCG@10, MRR@10, Recall@10 and Recall@100 of one run."""
    return {name: METRICS[metric](results, qrels, k) for name, metric, k in BEIR_CUTOFFS}


def evaluate_beir(search_fn: SearchFn, dataset: BeirDataset, limit: int | None = None, part: str | None = None) -> BeirScores:
    """Run the dataset's queries (those of one `part`, 'tune' or 'test', if given; then the first `limit` of them)
    and score them at document level."""
    queries = {qid: text for qid, text in dataset.queries.items() if part is None or part_of(qid) == part}
    queries = dict(list(queries.items())[:limit]) if limit else queries
    started = time.perf_counter()
    results = run_queries(search_fn, queries)
    seconds = time.perf_counter() - started
    qrels = {qid: dataset.qrels[qid] for qid in queries}
    return BeirScores(beir_metrics(results, qrels), len(queries), seconds)
