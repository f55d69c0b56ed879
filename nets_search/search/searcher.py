"""The Searcher: an opened index version (index/version.py) plus the encoder, and one search — the question
prepared (query.py: typos, glossary, missing key words), encoded, ranked by every registered retriever
(retrievers.py: lexical BM25, dense passage + sentence vectors), fused (fusion.py), labelled with its evidence.
The page, the CLI and the evaluation all call `Searcher.search`."""

from __future__ import annotations

import dataclasses
import functools
import logging
from pathlib import Path

import numpy as np

from nets_search.encode import encoder as encode
from nets_search.encode.model import known_words
from nets_search.errors import IndexCorruptError, QueryError
from nets_search.index.current import current_version
from nets_search.index.lexical import LexicalIndex, analyse
from nets_search.index.manifest_file import REBUILD_HINT
from nets_search.index.vectors import tune_for_single_queries
from nets_search.index.version import open_version
from nets_search.search import folding, labels, retrievers, urgent
from nets_search.search.confidence import Calibration, Evidence
from nets_search.search.fusion import FusionSettings, convex_fusion, reciprocal_rank_fusion, scaled_to_best
from nets_search.corpus.glossary import Glossary
from nets_search.search.query import (PreparedQuery, QueryAnalyser, QueryNormaliser, prepare_question,
                                      without)
from nets_search.search.sentence_scores import SentenceScorer
from nets_search.settings import engine_settings
from nets_search.types import PageInfo, Passage, Result, SearchResponse

log = logging.getLogger(__name__)

BESIDE_FROM = 10_000  # passages from which BM25 runs beside the vector scan (see Searcher._run_retrievers)
BEST_SENTENCE_DEPTH = 10  # results past this rank are not read by people; they carry no best sentence
MAX_NAMED_MISSING = 3  # the rarest words our pages lack, named to a reader whose question is not covered


class Searcher:
    """A loaded index version plus the encoder. Safe to share between threads for searching."""

    def __init__(
        self,
        index_dir: Path,
        encoder: "encode.Encoder | None" = None,
        fusion: FusionSettings = FusionSettings(),
        version_folder: Path | None = None,
    ) -> None:
        """Opens the version in use, or `version_folder` (a build calibrates a version before switching to it)."""
        self.index_dir = Path(index_dir)
        tune_for_single_queries()
        opened = open_version(self.index_dir, version_folder)
        self.manifest = opened.manifest
        self.version = opened.version
        self.passages: list[Passage] = opened.passages
        self._pages: dict[str, PageInfo] = opened.pages
        self._encoder = encoder or encode.Encoder(self.manifest.backend, cache_dir=self.index_dir / "cache")
        if encode.base_backend(self._encoder.backend) != encode.base_backend(self.manifest.backend):
            log.warning("the index was embedded with %s but questions are encoded with %s; rebuild for the best "
                        "results: nets-search build --backend %s", self.manifest.backend, self._encoder.backend,
                        self._encoder.backend)
        try:
            scorer = SentenceScorer(self.passages, opened.passage_vectors, opened.sentences, opened.sentence_vectors,
                                    analyse)
        except ValueError as exc:
            raise IndexCorruptError(f"{self.index_dir}: {exc}; {REBUILD_HINT}") from None
        self._sources = retrievers.Sources(self.passages, opened.lexical, opened.candidate_index, scorer)
        self._row_of = {p.passage_id: row for row, p in enumerate(self.passages)}
        self._section_rows = _section_rows(self.passages)
        self._expansion_vectors: dict[str, np.ndarray] = {}  # one per glossary expansion at most
        self._query_vectors = encode.RecentVectors(engine_settings().query_cache)
        self._idf = opened.lexical.idf()
        self._unknown_idf = max(self._idf.values(), default=1.0)
        normaliser = QueryNormaliser([p.text for p in self.passages], Glossary.from_dict(opened.glossary),
                                     known_words())
        self.query_analyser = QueryAnalyser(normaliser, self._idf, len(self.passages))
        self.fusion = fusion
        self.calibration = Calibration.of_version(opened.calibration_file, self.manifest.retrieval.get("signals"),
                                                  opened.folder.name)

    def use_lexical(self, lexical: LexicalIndex) -> None:
        """Search with another BM25 index over the same passages: how benchmarks/quality.py tries BM25 settings on
        the tune parts without a build for each (the IDF, from which passages hold a term, does not change)."""
        if lexical.size != len(self.passages):
            raise ValueError(f"a BM25 index of {lexical.size} documents for {len(self.passages)} passages")
        if lexical.idf() != self._idf:  # the coverage signal and the common-term list are built on it
            raise ValueError("a BM25 index whose passages hold other terms than this version's")
        self._sources = dataclasses.replace(self._sources, lexical=lexical)

    def is_stale(self) -> bool:
        """True when a newer version has been switched in on disk (a cheap check: one small file)."""
        return current_version(self.index_dir) != self.version

    def search(self, question: str, k: int = 5, mode: str = "hybrid", repair: bool = True) -> SearchResponse:
        """The best `k` passages for `question` (k at most 100; past CANDIDATES, only as many as the two candidate
        lists hold together), each a distinct card: a near-identical passage of another page is folded into the
        card above it (folding.py). `repair=False` searches the reader's words exactly as typed."""
        if mode not in retrievers.modes():
            raise QueryError(f"unknown search mode '{mode}' (choose from {', '.join(retrievers.modes())})")
        text, truncated = prepare_question(question)
        k = max(1, min(int(k), 100))
        query = self.query_analyser.prepare(text, repair)
        vector, key_gap = self._encode(query)
        search = retrievers.Search(query, vector, self.fusion)
        self._run_retrievers(search)
        ranked = {name: found.ranking for name, found in search.found.items()}
        ranks = {name: {row: r for r, (row, _) in enumerate(ranking, 1)} for name, ranking in ranked.items()}
        sentence_cos = search.sentence_cosines()
        cards = folding.fold(self._fuse(ranked, mode), k, lambda hit: self.passages[hit[0]])
        results = tuple(
            Result(
                rank=rank,
                score=score,
                passage=self.passages[row],
                retriever_ranks=tuple((name, by_row.get(row)) for name, by_row in ranks.items()),
                best_sentence=self._best_sentence(row, sentence_cos, query) if rank <= BEST_SENTENCE_DEPTH else None,
                also_on=tuple(self.passages[other] for other, _ in card.also),
            )
            for rank, card in enumerate(cards, 1)
            for row, score in [card.shown]
        )
        evidence = self._evidence(query, ranked.get("dense", []), key_gap)
        no_good_match = self.calibration.no_good_match(evidence)
        tentative = not no_good_match and not self.calibration.is_confident(evidence)
        return SearchResponse(
            query=question,
            results=labels.label_results(results, no_good_match, tentative),
            no_good_match=no_good_match,
            searched_text=query.text,
            expansions=query.expansions,
            truncated=truncated,
            corrections=query.corrections,
            evidence=evidence,
            missing_terms=query.missing[:MAX_NAMED_MISSING] if no_good_match else (),
            tentative=tentative,
            urgency=urgent.assess(question),
        )

    # ----------------------------------------------------------------------- the steps of one search

    def _run_retrievers(self, search: retrievers.Search) -> None:
        """Every registered retriever, in order. On a large index a retriever that needs only the question (BM25)
        starts first on a helper thread and runs beside the vector scan, which waits for its hits only when it
        needs them. Measured on MedQuAD's 31,277 passages, 300 questions: BM25 and the candidate scan 1.22 ms p50
        in turn, 0.93 ms side by side; on the 8-passage seed page the hand-over (0.06 ms) costs more than BM25
        itself, so below BESIDE_FROM passages they run in turn."""
        registry = retrievers.REGISTRY
        if len(self.passages) >= BESIDE_FROM:
            for name, retriever in registry.items():
                if retriever.beside:
                    run = functools.partial(retriever.run, self._sources, search)
                    search.pending[name] = (encode.helper_pool().submit(run), run)
        try:
            for name, retriever in registry.items():
                if name not in search.pending:
                    search.found[name] = retriever.run(self._sources, search)
            search.found = {name: search.finding(name) for name in registry}
        finally:
            search.cancel_pending()

    def _encode(self, query: PreparedQuery) -> tuple[np.ndarray, float]:
        """The question's vector (its expansions mixed in below its own words), and how much its meaning rests on
        the words our pages lack (0 if it has none).

        One encoder call per question: a glossary expansion's vector is encoded once and kept (there are as many as
        glossary entries), and the question with an expansion is approximated by the sum of the two vectors
        (measured against encoding "question (expansion)" on the tune parts: the same hit@1 and MRR@5)."""
        expansions = list(query.expansions)
        own, key_gap = self._question_vector(query.text, query.uncovered)
        vector = own
        if expansions:
            vectors = self._expansion_vectors_for(expansions)
            joint = own + np.mean([vectors[e] for e in expansions], axis=0)
            joint /= np.linalg.norm(joint) or 1.0
            weight = self.fusion.expansion_weight
            vector = (1 - weight) * own + weight * joint
            vector = vector / (np.linalg.norm(vector) or 1.0)
        return np.ascontiguousarray(vector, dtype=np.float32), key_gap

    def _question_vector(self, text: str, uncovered: tuple[str, ...]) -> tuple[np.ndarray, float]:
        """The question's vector and its key gap: 1 - cosine(question, question without every word our pages
        lack). Removed together, not one by one: in "warning signs of a heart attack" neither "warning" nor the
        everyday "attack" weighs much alone, but without both the question is no longer about a heart attack
        (tune parts: one more out-of-scope question caught, no in-scope one flagged, one encode per question as
        before). Kept for recent questions (a page reruns the same search)."""
        key = "\x1f".join([text, *uncovered])
        cached = self._query_vectors.get(key)
        if cached is None:
            variant = without(text, uncovered)
            vectors = encode.encode_one_by_one(self._encoder, [text] if variant == text else [text, variant])
            key_gap = float(1.0 - vectors[0] @ vectors[1]) if len(vectors) > 1 else 0.0
            cached = self._query_vectors.put(key, (vectors[0], key_gap))
        return cached

    def _expansion_vectors_for(self, expansions: list[str]) -> dict[str, np.ndarray]:
        """Glossary expansions' vectors: encoded on first use, then kept for the version's life."""
        wanted = [e for e in dict.fromkeys(expansions) if e not in self._expansion_vectors]
        if wanted:
            self._expansion_vectors.update(zip(wanted, encode.encode_one_by_one(self._encoder, wanted)))
        return {e: self._expansion_vectors[e] for e in expansions}

    def _best_sentence(self, row: int, sentence_cos: dict[int, np.ndarray], query: PreparedQuery
                       ) -> tuple[int, int] | None:
        return self._sources.scorer.best_sentence(row, sentence_cos, query.terms, query.expansion_terms, self._idf,
                                                  self.fusion.expansion_weight, self.fusion.sentence_words_weight,
                                                  self.fusion.quantity_weight if query.asks_quantity else 0.0,
                                                  self.fusion.widen_to_references)

    def _evidence(self, query: PreparedQuery, dense: retrievers.Ranking, key_gap: float) -> Evidence:
        terms = set(query.terms)
        weights = {t: self._idf.get(t, self._unknown_idf) for t in terms}
        total = sum(weights.values())
        covered = sum(w for t, w in weights.items() if t in query.covered)
        return Evidence(
            top_similarity=dense[0][1] if dense else 0.0,
            term_coverage=covered / total if total else 0.0,
            key_gap=key_gap,
        )

    def _fuse(self, ranked: dict[str, retrievers.Ranking], mode: str) -> retrievers.Ranking:
        """One retriever's ranking alone, or every registered retriever's fused ("hybrid")."""
        if mode != "hybrid":
            return ranked[mode]
        registry = retrievers.REGISTRY
        weights = {name: registry[name].weight(self.fusion) for name in ranked}
        if self.fusion.method == "convex":
            scores = {name: scaled_to_best(r) if registry[name].scaled else r for name, r in ranked.items()}
            return convex_fusion(scores, weights)
        return reciprocal_rank_fusion({name: [row for row, _ in r] for name, r in ranked.items()}, weights,
                                      self.fusion.rrf_k)

    # ----------------------------------------------------------------------- what a page shows beside a result

    def page_info(self, doc_id: str) -> PageInfo:
        """Where a passage's page comes from (source link, publisher) and when it was last reviewed."""
        return self._pages.get(doc_id) or PageInfo(title=doc_id)

    def neighbours(self, passage_id: str) -> list[Passage]:
        """The passages of the same page section, in reading order (the passage itself included)."""
        row = self._row_of.get(passage_id)
        if row is None:
            return []
        target = self.passages[row]
        return [self.passages[r] for r in self._section_rows[(target.doc_id, target.section_index)]]


def _section_rows(passages: list[Passage]) -> dict[tuple[str, int], list[int]]:
    """The rows of each page section's passages, in reading order."""
    rows: dict[tuple[str, int], list[int]] = {}
    for row in sorted(range(len(passages)), key=lambda r: passages[r].position):
        rows.setdefault((passages[row].doc_id, passages[row].section_index), []).append(row)
    return rows
