"""Evaluation: retrieval metrics over plain dicts, golden questions, and BEIR-format datasets.

Nothing here knows how a retriever works. A retriever is anything callable as `search(question, k, mode)` that
returns a `SearchResponse` (the signature of `Searcher.search`), so the page, the CLI and the evaluation all
judge the same code path. Metrics take the BEIR shapes:

    results = {query_id: {doc_id: score}}      what a retriever returned
    qrels   = {query_id: {doc_id: relevance}}  graded judgements; relevance <= 0 means not relevant

and never modify them.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

from .errors import NetsSearchError
from .types import Passage, SearchResponse

Results = Mapping[str, Mapping[str, float]]
Qrels = Mapping[str, Mapping[str, int]]
SearchFn = Callable[[str], SearchResponse]
ModeSearch = Callable[[str, int, str], SearchResponse]  # (question, k, mode), as Searcher.search

GOLDEN_DEPTH = 5  # hit@1, hit@3 and MRR@5 need the first five passages
BEIR_DEPTH = 100  # passages fetched per BEIR query; the Searcher returns at most 100
BEIR_CUTOFFS = (("ndcg@10", "ndcg", 10), ("mrr@10", "mrr", 10), ("recall@10", "recall", 10), ("recall@100", "recall", 100))
GOLDEN_KEYS = frozenset({"id", "question", "expect", "out_of_scope", "note", "todo"})


class EvaluationError(NetsSearchError):
    """A golden-question file or a BEIR dataset cannot be read; the message names the file and line."""


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class MetricScore:
    """One metric over a query set: the mean over judged queries, each query's value, and what was skipped."""

    mean: float
    per_query: Mapping[str, float]
    skipped: tuple[str, ...] = ()  # queries with no relevant document in the qrels: no score is possible

    @property
    def evaluated(self) -> int:
        return len(self.per_query)


def ranked_doc_ids(scores: Mapping[str, float], k: int) -> list[str]:
    """The `k` best documents, best first; equal scores are ordered by doc_id so runs are reproducible."""
    return [doc for doc, _ in sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:k]]


def _per_query(results: Results, qrels: Qrels, k: int, score_one: Callable[[list[str], Mapping[str, int]], float]) -> MetricScore:
    """Apply `score_one(top_k_doc_ids, judgements)` to each judged query and average.

    A query judged in `qrels` but absent from `results` scores 0: the retriever found nothing.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    values: dict[str, float] = {}
    skipped = []
    for query_id in sorted(set(qrels) | set(results)):
        judged = qrels.get(query_id, {})
        if not any(rel > 0 for rel in judged.values()):
            skipped.append(query_id)
            continue
        values[query_id] = score_one(ranked_doc_ids(results.get(query_id, {}), k), judged)
    mean = math.fsum(values.values()) / len(values) if values else 0.0
    return MetricScore(mean, values, tuple(skipped))


def _dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain: the gain at rank r is divided by log2(r + 1)."""
    return math.fsum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, 1))


def ndcg_at_k(results: Results, qrels: Qrels, k: int) -> MetricScore:
    """nDCG@k with graded gains. The gain of a document is its relevance grade itself (as trec_eval and
    pytrec_eval, which BEIR uses, compute it); the ideal ranking is the qrels' own grades, best first."""

    def one(top: list[str], judged: Mapping[str, int]) -> float:
        gains = [max(judged.get(doc, 0), 0) for doc in top]
        ideal = sorted((rel for rel in judged.values() if rel > 0), reverse=True)[:k]
        return _dcg(gains) / _dcg(ideal)

    return _per_query(results, qrels, k, one)


def mrr_at_k(results: Results, qrels: Qrels, k: int) -> MetricScore:
    """Mean reciprocal rank: 1 / rank of the first relevant document in the top k, 0 if there is none."""

    def one(top: list[str], judged: Mapping[str, int]) -> float:
        return next((1.0 / rank for rank, doc in enumerate(top, 1) if judged.get(doc, 0) > 0), 0.0)

    return _per_query(results, qrels, k, one)


def recall_at_k(results: Results, qrels: Qrels, k: int) -> MetricScore:
    """The share of a query's relevant documents found in its top k."""

    def one(top: list[str], judged: Mapping[str, int]) -> float:
        relevant = {doc for doc, rel in judged.items() if rel > 0}
        return len(relevant.intersection(top)) / len(relevant)

    return _per_query(results, qrels, k, one)


METRICS: dict[str, Callable[[Results, Qrels, int], MetricScore]] = {
    "ndcg": ndcg_at_k,
    "mrr": mrr_at_k,
    "recall": recall_at_k,
}


# --------------------------------------------------------------------------- tune / test split

SPLIT_SEED = "nets-search-2026"  # changing it re-deals every labelled set: never do it to improve a figure
PARTS = ("tune", "test")


def part_of(question_id: str, seed: str = SPLIT_SEED) -> str:
    """'tune' or 'test' for a question id, fixed by the seed: about half each, the same on every machine and
    whatever else is in the file. Every choice is made on 'tune'; figures are reported on 'test'."""
    digest = hashlib.sha256(f"{seed}:{question_id}".encode("utf-8")).digest()
    return "tune" if digest[0] < 128 else "test"


def split_parts(items: Mapping[str, object] | Sequence, key: Callable = lambda item: item) -> dict[str, list]:
    """Items (question ids, or objects with `key` giving the id) dealt into {'tune': [...], 'test': [...]}."""
    parts: dict[str, list] = {part: [] for part in PARTS}
    for item in items:
        parts[part_of(str(key(item)))].append(item)
    return parts


# --------------------------------------------------------------------------- golden questions


@dataclass(frozen=True)
class GoldenQuestion:
    id: str
    question: str
    expect: tuple[tuple[str, ...], ...] = ()  # alternatives; each one a set of phrases that must all appear
    out_of_scope: bool = False
    line: int = 0


_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"'})


def fold(text: str) -> str:
    """Text as phrases are compared: NFKC, curly quotes made straight, case-folded, whitespace runs as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold().split())


def passage_matches(text: str, expect: Sequence[Sequence[str]]) -> bool:
    """True when every phrase of at least one alternative appears in `text` (see `fold`)."""
    folded = fold(text)
    return any(all(fold(phrase) in folded for phrase in alternative) for alternative in expect)


def load_golden(path: Path) -> list[GoldenQuestion]:
    """Read a golden-question JSONL file. Blank lines are ignored; anything malformed raises EvaluationError."""
    path = Path(path)
    questions: list[GoldenQuestion] = []
    seen: dict[str, int] = {}
    for number, record in json_lines(path):
        if _pending(record):
            continue
        question = _golden_question(record, f"{path}:{number}", number)
        if question.id in seen:
            raise EvaluationError(f"{path}:{number}: id '{question.id}' is already used on line {seen[question.id]}")
        seen[question.id] = number
        questions.append(question)
    if not questions:
        raise EvaluationError(f"{path}: no questions in the file")
    return questions


def json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """(line number, parsed value) for each non-blank line of a JSONL file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise EvaluationError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise EvaluationError(f"{path}: is a folder, not a JSONL file") from None
    except UnicodeDecodeError:
        raise EvaluationError(f"{path}: not valid UTF-8 text") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"{path}:{number}: not valid JSON ({exc.msg})") from None


def _pending(record: object) -> bool:
    """A question an editor added from readers' feedback but has not yet given its answer phrases (a "todo" note
    and an empty "expect"): kept in the file, left out of every figure until it is filled in."""
    return isinstance(record, dict) and "todo" in record and record.get("expect") == [] and not record.get("out_of_scope")


def _golden_question(record: object, where: str, number: int) -> GoldenQuestion:
    if not isinstance(record, dict):
        raise EvaluationError(f"{where}: each line must be a JSON object")
    unknown = sorted(set(record) - GOLDEN_KEYS)
    if unknown:
        raise EvaluationError(f"{where}: unknown key '{unknown[0]}' (allowed: {', '.join(sorted(GOLDEN_KEYS))})")
    query_id, question = record.get("id"), record.get("question")
    if not isinstance(query_id, (str, int)) or isinstance(query_id, bool) or str(query_id).strip() == "":
        raise EvaluationError(f"{where}: needs an 'id' (a string)")
    if not isinstance(question, str) or not question.strip():
        raise EvaluationError(f"{where}: needs a non-empty 'question'")
    out_of_scope = record.get("out_of_scope", False)
    if not isinstance(out_of_scope, bool):
        raise EvaluationError(f"{where}: 'out_of_scope' must be true or false")
    has_expect = "expect" in record
    if out_of_scope and has_expect:
        raise EvaluationError(f"{where}: a question is either out of scope or has 'expect', not both")
    if not out_of_scope and not has_expect:
        raise EvaluationError(f"{where}: needs 'expect' (a list of phrase lists) or \"out_of_scope\": true")
    expect = _expectations(record["expect"], where) if has_expect else ()
    return GoldenQuestion(str(query_id), question, expect, out_of_scope, number)


def _expectations(value: object, where: str) -> tuple[tuple[str, ...], ...]:
    """'expect' must be a non-empty list of alternatives, each a non-empty list of non-empty phrases."""
    shape = f"{where}: 'expect' must be a list of alternatives, each a list of phrases, e.g. [[\"flushing\", \"face\"]]"
    if not isinstance(value, list) or not value:
        raise EvaluationError(shape)
    alternatives = []
    for alternative in value:
        if not isinstance(alternative, list) or not alternative:
            raise EvaluationError(shape)
        if not all(isinstance(phrase, str) and phrase.strip() for phrase in alternative):
            raise EvaluationError(f"{where}: every phrase in 'expect' must be a non-empty string")
        alternatives.append(tuple(alternative))
    return tuple(alternatives)


@dataclass(frozen=True)
class GoldenMiss:
    """An in-scope question whose answer was not ranked first."""

    id: str
    question: str
    expect: tuple[tuple[str, ...], ...]
    rank: int | None  # rank of the first passage holding the answer, None if not in the results
    winner: Passage | None  # the passage ranked first instead

    def to_dict(self) -> dict:
        won = self.winner
        return {
            "id": self.id,
            "question": self.question,
            "expect": [list(a) for a in self.expect],
            "rank": self.rank,
            "winner": None if won is None else {
                "passage_id": won.passage_id, "doc_id": won.doc_id, "title": won.title, "section": won.section, "text": won.text,
            },
        }


@dataclass(frozen=True)
class GoldenReport:
    """Hit figures are over in-scope questions only; flagging ("no good match") is counted separately."""

    in_scope: int
    hit_at_1: float
    hit_at_3: float
    mrr_at_5: float
    out_of_scope: int
    out_of_scope_flagged: int
    in_scope_flagged: int
    misses: tuple[GoldenMiss, ...]
    ranks: Mapping[str, int | None] = field(default_factory=dict)  # in-scope id -> rank of first hit
    flagged: Mapping[str, bool] = field(default_factory=dict)  # every id -> response.no_good_match
    seconds: float = 0.0
    best_sentence_hits: int = 0  # answered first: the best sentence holds an expected phrase
    best_sentence_asked: int = 0  # in-scope questions answered first (the ones whose best sentence is judged)

    @property
    def best_sentence_rate(self) -> float:
        return _share(self.best_sentence_hits, self.best_sentence_asked)

    def to_dict(self) -> dict:
        return {
            "in_scope": self.in_scope,
            "hit@1": round(self.hit_at_1, 4),
            "hit@3": round(self.hit_at_3, 4),
            "mrr@5": round(self.mrr_at_5, 4),
            "out_of_scope": self.out_of_scope,
            "out_of_scope_flagged": self.out_of_scope_flagged,
            "in_scope_flagged": self.in_scope_flagged,
            "best_sentence": f"{self.best_sentence_hits}/{self.best_sentence_asked}",
            "seconds": round(self.seconds, 3),
            "misses": [m.to_dict() for m in self.misses],
            "questions": {
                qid: {"rank": self.ranks.get(qid), "flagged": flagged, "out_of_scope": qid not in self.ranks}
                for qid, flagged in self.flagged.items()
            },
        }


def first_hit(response: SearchResponse, expect: Sequence[Sequence[str]], depth: int = GOLDEN_DEPTH) -> int | None:
    """The 1-based position of the first passage (within `depth`) holding an expected answer."""
    for position, result in enumerate(response.results[:depth], 1):
        if passage_matches(result.passage.text, expect):
            return position
    return None


def evaluate_golden(search_fn: SearchFn, questions: Sequence[GoldenQuestion]) -> GoldenReport:
    """Ask every question and score the answers: hit@1, hit@3 and MRR@5 over in-scope questions, and how
    the `no_good_match` flag fell on out-of-scope and in-scope questions."""
    started = time.perf_counter()
    ranks: dict[str, int | None] = {}
    flagged: dict[str, bool] = {}
    misses = []
    sentence_hits = 0
    for q in questions:
        response = search_fn(q.question)
        flagged[q.id] = response.no_good_match
        if q.out_of_scope:
            continue
        rank = first_hit(response, q.expect)
        ranks[q.id] = rank
        sentence_hits += rank == 1 and best_sentence_answers(response.results[0], q.expect)
        if rank != 1:
            winner = response.results[0].passage if response.results else None
            misses.append(GoldenMiss(q.id, q.question, q.expect, rank, winner))
    in_scope = len(ranks)
    out_ids = [q.id for q in questions if q.out_of_scope]
    return GoldenReport(
        in_scope=in_scope,
        hit_at_1=_share(sum(r == 1 for r in ranks.values()), in_scope),
        hit_at_3=_share(sum(r is not None and r <= 3 for r in ranks.values()), in_scope),
        mrr_at_5=_share(math.fsum(1.0 / r for r in ranks.values() if r is not None), in_scope),
        out_of_scope=len(out_ids),
        out_of_scope_flagged=sum(flagged[i] for i in out_ids),
        in_scope_flagged=sum(flagged[i] for i in ranks),
        misses=tuple(misses),
        ranks=ranks,
        flagged=flagged,
        seconds=time.perf_counter() - started,
        best_sentence_hits=sentence_hits,
        best_sentence_asked=sum(r == 1 for r in ranks.values()),
    )


def best_sentence_answers(result, expect: Sequence[Sequence[str]]) -> bool:
    """True when the result's best sentence holds at least one expected phrase."""
    if not result.best_sentence:
        return False
    start, end = result.best_sentence
    sentence = fold(result.passage.text[start:end])
    return any(fold(phrase) in sentence for alternative in expect for phrase in alternative)


def _share(count: float, total: int) -> float:
    return count / total if total else 0.0


def compare_golden(search: ModeSearch, questions: Sequence[GoldenQuestion], modes: Sequence[str]) -> dict[str, GoldenReport]:
    """The same questions in each retrieval mode, for a side-by-side table."""
    return {mode: evaluate_golden(lambda text, m=mode: search(text, GOLDEN_DEPTH, m), questions) for mode in modes}


def compare_golden_parts(search: ModeSearch, questions: Sequence[GoldenQuestion], modes: Sequence[str]) -> dict[str, dict[str, GoldenReport]]:
    """{part: {mode: report}} for the tune and test parts of one question set (a part with no questions is left out)."""
    parts = split_parts(questions, key=lambda q: q.id)
    return {part: compare_golden(search, items, modes) for part, items in parts.items() if items}


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


def compare_beir(search: ModeSearch, dataset: BeirDataset, modes: Sequence[str], limit: int | None = None,
                 part: str | None = None) -> dict[str, BeirScores]:
    return {mode: evaluate_beir(lambda text, m=mode: search(text, BEIR_DEPTH, m), dataset, limit, part) for mode in modes}


# --------------------------------------------------------------------------- reports


def format_golden_table(label: str, reports: Mapping[str, GoldenReport], misses_of: str | None = None) -> str:
    """A side-by-side table of the modes, then the misses of mode `misses_of` (default: the first mode)."""
    first = next(iter(reports.values()))
    lines = [
        f"Golden questions: {label} ({first.in_scope} in scope, {first.out_of_scope} out of scope)",
        f"  {'mode':<8} {'hit@1':>6} {'hit@3':>6} {'MRR@5':>6}   {'out-of-scope flagged':>20}   {'in-scope flagged':>16}"
        f"   {'best sentence':>13}",
    ]
    for mode, r in reports.items():
        lines.append(
            f"  {mode:<8} {r.hit_at_1:6.3f} {r.hit_at_3:6.3f} {r.mrr_at_5:6.3f}   "
            f"{f'{r.out_of_scope_flagged}/{r.out_of_scope}':>20}   {f'{r.in_scope_flagged}/{r.in_scope}':>16}"
            f"   {f'{r.best_sentence_hits}/{r.best_sentence_asked}':>13}"
        )
    mode = misses_of if misses_of in reports else next(iter(reports))
    misses = reports[mode].misses
    lines.append(f"  misses in {mode} mode: {len(misses)}" + (" (other modes' misses are in the JSON file)" if len(reports) > 1 and misses else ""))
    for miss in misses:
        lines.extend("    " + line for line in _format_miss(miss))
    return "\n".join(lines)


def _format_miss(miss: GoldenMiss) -> list[str]:
    where = f"answer at rank {miss.rank}" if miss.rank else f"answer not in the top {GOLDEN_DEPTH}"
    wanted = " | ".join(" + ".join(f'"{p}"' for p in alt) for alt in miss.expect)
    won = miss.winner
    shown = "(no results)" if won is None else f"{won.breadcrumb}: {_clip(won.text)}"
    return [f"[{miss.id}] {miss.question!r} - {where}", f"  expected: {wanted}", f"  ranked first: {shown}"]


def _clip(text: str, width: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def format_beir_table(dataset: BeirDataset, reports: Mapping[str, BeirScores], index_label: str = "") -> str:
    first = next(iter(reports.values()))
    title = f"BEIR: {dataset.name} (split {dataset.split}, {first.queries} queries" + (f"; index {index_label}" if index_label else "") + ")"
    lines = [title, f"  {'mode':<8} {'nDCG@10':>8} {'MRR@10':>8} {'R@10':>8} {'R@100':>8} {'q/s':>7}"]
    for mode, r in reports.items():
        m = r.metrics
        rate = r.queries / r.seconds if r.seconds else 0.0
        lines.append(
            f"  {mode:<8} {m['ndcg@10'].mean:8.3f} {m['mrr@10'].mean:8.3f} {m['recall@10'].mean:8.3f} "
            f"{m['recall@100'].mean:8.3f} {rate:7.1f}"
        )
    skipped = len(first.metrics["ndcg@10"].skipped)
    if skipped:
        lines.append(f"  {skipped} queries have no relevant document in the qrels and were skipped")
    return "\n".join(lines)


def write_json(path: Path, figures: dict) -> None:
    """Write the figures atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)


# --------------------------------------------------------------------------- golden check after a build

GOLDEN_STATE_FILE = "golden-ranks.json"
GOLDEN_FILE_NAME = "golden-questions.jsonl"


def golden_regressions(search_fn: SearchFn, questions: Sequence[GoldenQuestion], state: Path) -> list[str]:
    """Ask the golden questions of a fresh build and compare with the last build's answers (kept in `state`).

    Returns one line per question that used to be answered first and no longer is, or an out-of-scope question
    no longer flagged, in words an editor reads without looking anything up: "the question '…' is now answered
    by '<page › section>' instead of '<page › section>'". Then records today's answers for the next build."""
    answers: dict[str, str] = {}

    def recording(text: str) -> SearchResponse:
        response = search_fn(text)
        answers[text] = response.results[0].passage.breadcrumb if response.results else "nothing"
        return response

    report = evaluate_golden(recording, questions)
    try:
        before = json.loads(state.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        before = {}
    lines = []
    for q in questions:
        was = before.get(q.id)
        was_rank, was_answer = (was.get("rank"), was.get("answer")) if isinstance(was, dict) else (was, None)
        now = answers.get(q.question, "nothing")
        if q.out_of_scope:
            if was_rank == "flagged" and not report.flagged.get(q.id):
                lines.append(f"the question '{q.question}' was recognised as not covered; it is now answered by "
                             f"'{now}'")
        elif was_rank == 1 and report.ranks.get(q.id) != 1:
            if was_answer == now:  # the same section answers, but its text no longer holds the answer
                lines.append(f"the question '{q.question}' is still answered by '{now}', but that passage no "
                             "longer holds the expected answer")
            else:
                instead = f" instead of '{was_answer}'" if was_answer else ""
                lines.append(f"the question '{q.question}' is now answered by '{now}'{instead}")
    today = {q.id: {"rank": ("flagged" if report.flagged.get(q.id) else "-") if q.out_of_scope else report.ranks.get(q.id),
                    "answer": answers.get(q.question, "nothing")} for q in questions}
    state.write_text(json.dumps(today, indent=1, sort_keys=True), encoding="utf-8")
    return lines


def check_golden_questions(corpus: Path, index: Path, encoder=None) -> list[str]:
    """After a build: ask the editors' golden questions (corpus/golden-questions.jsonl) of the new version and
    say which got worse since the last build. The CLI and the page's rebuild button both call this."""
    golden = Path(corpus) / GOLDEN_FILE_NAME
    if not Path(corpus).is_dir() or not golden.is_file():
        return []
    from .search import Searcher

    try:
        questions = load_golden(golden)
    except EvaluationError as exc:  # the build itself succeeded: a broken golden file is a warning here
        return [f"golden questions not checked: {exc}"]
    searcher = Searcher(index, encoder=encoder)
    search = lambda text: searcher.search(text, k=GOLDEN_DEPTH)
    return golden_regressions(search, questions, Path(index) / GOLDEN_STATE_FILE)
