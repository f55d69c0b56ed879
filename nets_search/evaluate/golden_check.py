"""The check after each build: ask the editors' golden questions of the new version and say, in words, which are
answered worse than by the previous version (whose answers the last build recorded beside the index)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from nets_search.corpus.files import corpus_question_files
from nets_search.errors import EvaluationError
from nets_search.evaluate.golden import GOLDEN_FILE_NAME, GoldenQuestion, load_golden
from nets_search.evaluate.golden_report import GOLDEN_DEPTH, SearchFn, evaluate_golden
from nets_search.jsonl import json_line
from nets_search.types import SearchResponse

GOLDEN_STATE_FILE = "golden-ranks.json"


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
    from nets_search.atomic_write import replace_file

    try:
        replace_file(state, json.dumps(today, indent=1, sort_keys=True).encode("utf-8"))
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
