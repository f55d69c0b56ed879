"""What readers are shown for the corpus's labelled questions, before and after a build, in plain words.

A build can change what a reader sees for a question nobody edited: a new page outranks the old answer, or a new
calibration moves the bar for "strong match". Editors hear of it here, one line per labelled question (every
`*.jsonl` question file of the corpus, both parts) whose label or "no good match" decision changed, compared with
the version that was in use before the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nets_search.build.calibrate import labelled_questions
from nets_search.errors import NetsSearchError

LABEL_WORDS = {"strong": "a strong match", "good": "a good match", "related": "related", "weak": "a weak match"}
MAX_QUOTED = 120  # characters of a long question quoted in a line


@dataclass(frozen=True)
class Shown:
    """What a reader is shown for a question: the first passage's label (None: no passage) and whether the
    answer is "no good match"."""

    label: str | None
    no_good_match: bool

    def words(self) -> str:
        if self.no_good_match:
            return "'no good match'"
        return LABEL_WORDS.get(self.label or "", "without a passage")


@dataclass(frozen=True)
class LabelChange:
    question: str
    before: Shown
    after: Shown

    def words(self) -> str:
        quoted = _quoted(self.question)
        if self.before.no_good_match != self.after.no_good_match:
            if self.after.no_good_match:
                return f"{quoted} was answered ({self.before.words()}), now 'no good match'"
            return f"{quoted} was 'no good match', now answered ({_shown_as(self.after)})"
        return f"{quoted} was {self.before.words()}, now {_shown_as(self.after)}"


def _shown_as(shown: Shown) -> str:
    words = shown.words()
    return f"shown as {words}" if shown.label else words


def _quoted(question: str) -> str:
    text = " ".join(question.split())
    return f"'{text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED - 1] + '…'}'"


def shown_for(searcher, questions: list[str]) -> dict[str, Shown]:
    """What `searcher`'s version shows for each question: the label the Searcher gave its first passage."""
    shown = {}
    for question in questions:
        response = searcher.search(question)
        shown[question] = Shown(response.results[0].label if response.results else None, response.no_good_match)
    return shown


def label_changes(before: dict[str, Shown], after: dict[str, Shown]) -> list[LabelChange]:
    """The questions shown differently, in the order of `after`."""
    return [LabelChange(q, before[q], now) for q, now in after.items() if q in before and before[q] != now]


def label_report(corpus: Path, index: Path, previous: str | None, encoder) -> tuple[str, ...]:
    """Lines for the build report: each labelled question shown differently by the new version in use than by
    `previous` (the version in use before the build), or one line saying labels are unchanged."""
    from nets_search.index.layout import version_dir
    from nets_search.search.searcher import Searcher

    questions = list(dict.fromkeys(q.question for q in labelled_questions(Path(corpus), part=None)))
    if not questions:
        return ()
    if previous is None:
        return ("labels: first version, nothing to compare with",)
    folder = version_dir(index, previous)
    if not folder.is_dir():
        return (f"labels not compared: version {previous}, in use before this build, is no longer kept",)
    try:
        before = shown_for(Searcher(index, encoder=encoder, version_folder=folder), questions)
    except NetsSearchError as exc:  # damaged, or of an older format: the build replaced it for a reason
        return (f"labels not compared: version {previous} cannot be read ({exc})",)
    changes = label_changes(before, shown_for(Searcher(index, encoder=encoder), questions))
    if not changes:
        return (f"labels unchanged: all {len(questions)} labelled questions are shown as by version {previous}",)
    head = f"labels changed for {len(changes)} of {len(questions)} labelled questions (since version {previous}):"
    return (head, *(f"  {change.words()}" for change in changes))
