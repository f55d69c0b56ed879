"""Golden questions: the labelled-question file format (phrases the answering passage holds, or out of scope), scoring
a retriever on them (hit@1, hit@3, MRR@5, best sentence, "no good match" flags), and the check after each build that
says, in words, which questions are answered worse than by the previous version."""

from __future__ import annotations

import json
import math
import os
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

from nets_search.search.batch import MAX_DEPTH, MAX_NUMBER_DIGITS, nests_too_deep
from nets_search.corpus.files import corpus_question_files, read_inside, relative_name
from nets_search.errors import CorpusError, EvaluationError
from nets_search.search.labels import CONFIDENT_LABELS, top_label
from nets_search.evaluate.metrics import share_interval
from nets_search.types import Passage, SearchResponse

SearchFn = Callable[[str], SearchResponse]
GOLDEN_DEPTH = 5  # hit@1, hit@3 and MRR@5 need the first five passages
GOLDEN_KEYS = frozenset({"id", "question", "expect", "out_of_scope", "note", "todo"})
MAX_GOLDEN_BYTES = 5_000_000  # a golden-question file; thousands of questions take a few hundred KB


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


def load_golden(path: Path, folder: Path | None = None) -> list[GoldenQuestion]:
    """Read a golden-question JSONL file. Blank lines are ignored; anything malformed raises EvaluationError.

    The file is read as a corpus file is (corpus_files.read_inside): a regular file inside `folder`, opened without
    blocking, at most MAX_GOLDEN_BYTES; each line within `json_line`'s limits. Without `folder` (a file named on
    the command line) a link is followed to the file the person chose, which is then read the same way."""
    path = Path(path)
    questions: list[GoldenQuestion] = []
    seen: dict[str, int] = {}
    read_as = Path(os.path.realpath(path)) if folder is None and os.path.lexists(path) else path
    text = _golden_text(path, read_as, read_as.parent if folder is None else Path(folder))
    for number, record in _parsed_lines(path, text):
        if is_pending(record):
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
    """(line number, parsed value) for each non-blank line of a JSONL file (a BEIR dataset's: no size limit)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvaluationError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise EvaluationError(f"{path}: is a folder, not a JSONL file") from None
    except UnicodeDecodeError:
        raise EvaluationError(f"{path}: not valid UTF-8 text") from None
    return _parsed_lines(path, text)


def _golden_text(path: Path, read_as: Path, folder: Path) -> str:
    """The text of a golden-question file (`path` as given, `read_as` the file to open), read with `read_inside`
    (no pipe waited on, no link out of `folder` followed, at most MAX_GOLDEN_BYTES); EvaluationError naming the
    file as given otherwise."""
    if not os.path.lexists(read_as):
        raise EvaluationError(f"{path}: file not found")
    if read_as.is_dir():
        raise EvaluationError(f"{path}: is a folder, not a JSONL file")
    try:
        data = read_inside(read_as, folder, MAX_GOLDEN_BYTES, "a golden-question file")
    except CorpusError as exc:  # "<name>: why", the name relative to `folder`: said here with the path given
        raise EvaluationError(f"{path}: {str(exc).removeprefix(relative_name(read_as, folder) + ': ')}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise EvaluationError(f"{path}: not valid UTF-8 text") from None


def _parsed_lines(path: Path, text: str) -> Iterator[tuple[int, object]]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json_line(line)
        except ValueError as exc:
            raise EvaluationError(f"{path}:{number}: {exc}") from None
        yield number, value


def json_line(line: str) -> object:
    """The JSON value of one line, parsed only within the limits a batch line has (batch.py): arrays and objects
    nested at most MAX_DEPTH deep (checked before parsing, so Python's stack is never at risk) and integers of at
    most MAX_NUMBER_DIGITS digits. Anything else raises ValueError saying what, in words."""
    if nests_too_deep(line.encode("utf-8", "surrogatepass")):
        raise ValueError(f"arrays or objects nested more than {MAX_DEPTH} deep")
    try:
        return json.loads(line, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg})") from None
    except RecursionError:  # a safety net behind the nesting check
        raise ValueError("nested too deep to read") from None


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number of more than {MAX_NUMBER_DIGITS} digits")
    return int(digits)


def is_pending(record: object) -> bool:
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
    out_of_scope_labelled_sure: int = 0  # out-of-scope questions whose first passage is labelled strong or good
    in_scope_labelled_sure: int = 0  # in-scope questions whose first passage is labelled strong or good

    @property
    def best_sentence_rate(self) -> float:
        return _share(self.best_sentence_hits, self.best_sentence_asked)

    def counts(self) -> dict[str, tuple[int, int]]:
        """Each share-like figure as (count, total), the form its interval is computed from."""
        return {
            "hit@1": (round(self.hit_at_1 * self.in_scope), self.in_scope),
            "hit@3": (round(self.hit_at_3 * self.in_scope), self.in_scope),
            "best_sentence": (self.best_sentence_hits, self.best_sentence_asked),
            "out_of_scope_caught": (self.out_of_scope_flagged, self.out_of_scope),
            "in_scope_flagged": (self.in_scope_flagged, self.in_scope),
        }

    def intervals(self) -> dict[str, tuple[float, float]]:
        """95% Wilson intervals of the share-like figures (see metrics.share_interval)."""
        return {name: share_interval(count, total) for name, (count, total) in self.counts().items()}

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
            "out_of_scope_labelled_sure": self.out_of_scope_labelled_sure,
            "in_scope_labelled_sure": self.in_scope_labelled_sure,
            "intervals_95": {name: [round(low, 4), round(high, 4)] for name, (low, high) in self.intervals().items()},
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
    sure = {True: 0, False: 0}  # by out_of_scope: first passage labelled strong or good
    for q in questions:
        response = search_fn(q.question)
        flagged[q.id] = response.no_good_match
        sure[q.out_of_scope] += top_label(response) in CONFIDENT_LABELS
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
        out_of_scope_labelled_sure=sure[True],
        in_scope_labelled_sure=sure[False],
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
    before = _previous_answers(state)
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
    from nets_search.index import store

    try:
        store.write_file(state, json.dumps(today, indent=1, sort_keys=True).encode("utf-8"))
    except OSError as exc:  # the new version is already in use: the build succeeded, and is not failed for this
        lines.append(f"today's golden answers were not recorded in {state} ({exc.strerror or exc}); the next build "
                     "compares with the ones recorded before")
    return lines


def _previous_answers(state: Path) -> dict:
    """The answers the last build recorded ({} if there are none, or they cannot be read: every question then
    counts as new). The file is written whole and renamed into place, so it is never half a file."""
    try:
        before = json_line(state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return before if isinstance(before, dict) else {}


def check_golden_questions(corpus: Path, index: Path, encoder=None) -> list[str]:
    """After a build: ask the editors' golden questions (corpus/golden-questions.jsonl) of the new version and
    say which got worse since the last build. The CLI and the page's rebuild button both call this."""
    golden = Path(corpus) / GOLDEN_FILE_NAME
    if golden not in corpus_question_files(Path(corpus)):
        return []
    from nets_search.search.searcher import Searcher

    try:
        questions = load_golden(golden, folder=corpus)
    except EvaluationError as exc:  # the build itself succeeded: a broken golden file is a warning here
        return [f"golden questions not checked: {exc}"]
    searcher = Searcher(index, encoder=encoder)
    search = lambda text: searcher.search(text, k=GOLDEN_DEPTH)
    return golden_regressions(search, questions, Path(index) / GOLDEN_STATE_FILE)
