"""What the sections of one run share, made once on first use: questions, the larger corpus, the indexes.

The build section's fresh indexes are reused by the later sections (`use_seed_index`, `use_large_index`), so a
full run builds each corpus once; a section run alone builds what it needs itself.
"""

from __future__ import annotations

from pathlib import Path

import workloads
from nets_search.build.build import BuildSettings, build_index

from .files import REPO, SEED_CORPUS, link_model_cache
from .models import Models
from .plan import Plan

WARMUP = 10  # questions answered untimed before each timed run
NETS_QUESTIONS_SOURCE = "lay NETs questions (corpus/ and examples/ labelled files)"


class Inputs:
    """The plan, the models and the notes of one run, and the corpora and indexes made so far."""

    def __init__(self, plan: Plan, models: Models, notes: list[str]) -> None:
        self.plan = plan
        self.models = models
        self.notes = notes
        self._questions: list[str] | None = None
        self._question_source = ""
        self._large: Path | None = None
        self._large_source = ""
        self._seed_index: Path | None = None
        self.large_index: Path | None = None  # set by the build section (or rebuild) when it builds one

    # ----------------------------------------------------------------- questions

    def questions(self, count: int | None = None) -> list[str]:
        """Distinct timed questions: MedQuAD dev when present, else generated from the seed corpus."""
        return self._all_questions()[WARMUP:][: count or self.plan.questions]

    def warmup_questions(self) -> list[str]:
        """A few extra questions, never timed, that come before the timed ones."""
        return self._all_questions()[:WARMUP]

    def question_source(self) -> str:
        self._all_questions()
        return self._question_source

    def nets_questions(self) -> list[str]:
        """Lay questions about the NETs pages (labelled files of corpus/ and examples/, in and out of scope): the
        seed index is timed on the questions its readers ask, not on MedQuAD's."""
        files = sorted(SEED_CORPUS.glob("*.jsonl")) + sorted((REPO / "examples").glob("*/*.jsonl"))
        return workloads.labelled_questions(files) or self.questions()

    def _all_questions(self) -> list[str]:
        if self._questions is None:
            need = self.plan.questions + WARMUP
            if self.plan.medquad is not None:
                found = workloads.medquad_questions(self.plan.medquad / "queries.jsonl")
                self._questions, self._question_source = found[:need], "MedQuAD dev queries"
            else:
                self._questions = workloads.seed_questions(SEED_CORPUS, need)
                self._question_source = "generated from the seed corpus"
        return self._questions

    # ----------------------------------------------------------------- corpora and indexes

    def large_corpus(self) -> Path:
        """The larger build corpus: the first --medquad-docs MedQuAD documents, or generated pages."""
        if self._large is None:
            self._large = self.plan.work / "large-corpus.jsonl"
            if self.plan.medquad is not None:
                count = workloads.first_jsonl_docs(self.plan.medquad / "corpus.jsonl", self._large, self.plan.medquad_docs)
                self._large_source = f"first {count} MedQuAD documents"
            else:
                count = workloads.generated_corpus(SEED_CORPUS, self._large, self.plan.generated_docs)
                self._large_source = f"{count} generated pages"
        return self._large

    def large_source(self) -> str:
        self.large_corpus()
        return self._large_source

    def seed_index(self) -> Path:
        """A fresh index of corpus/ (built by the build section, or here if that section is not run)."""
        if self._seed_index is None:
            index = self.plan.work / "seed" / "index"
            build_index(SEED_CORPUS, index, BuildSettings(), encoder=self.models.encoder())
            self.use_seed_index(index)
        return self._seed_index

    def use_seed_index(self, index: Path) -> None:
        """Take a finished index of corpus/ as the seed index, linked to the run's ONNX export."""
        link_model_cache(index, self.plan.model_cache)
        self._seed_index = index

    def built_large_index(self) -> Path:
        """The larger corpus's index: the build section's, or built here."""
        if self.large_index is None:
            index = self.plan.work / "build-large" / "index"
            build_index(self.large_corpus(), index, BuildSettings(), encoder=self.models.encoder())
            self.large_index = index
        return self.large_index
