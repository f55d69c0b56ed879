"""The Searcher: a loaded index version, and one search — the question prepared (typos, glossary, missing key
words), encoded, ranked by every registered retriever (retrievers.py: lexical BM25, dense passage + sentence
vectors), fused (fusion.py), labelled with its evidence. The page, the CLI and the evaluation all call
`Searcher.search`."""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from nets_search.encode import encoder as encode
from nets_search.index import passage_store
from nets_search.search import retrievers
from nets_search.index import store
from nets_search.search.confidence import SIGNALS_VERSION, Calibration, Evidence
from nets_search.errors import NetsSearchError, QueryError
from nets_search.search.fusion import FusionSettings, convex_fusion, reciprocal_rank_fusion, scaled_to_best
from nets_search.index.lexical import LexicalIndex, analyse, is_stopword
from nets_search.search.query import Glossary, QueryNormaliser, asks_quantity
from nets_search.search.sentence_scores import SentenceScorer
from nets_search.settings import engine_settings
from nets_search.text import WORD_RE, normalise_unicode, words
from nets_search.types import Manifest, PageInfo, Passage, Result, SearchResponse
from nets_search.index.vectors import engine_of, open_vectors, tune_for_single_queries

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
CANDIDATES = 50  # nearest passages and BM25 hits each, scored exactly. 100 before: on MedQuAD's tune part nDCG@10
# 0.777 -> 0.775 with 50, the NETs tune parts unchanged, 0.7 ms less per search (6.4 -> 5.7 ms p50, interleaved)
BESIDE_FROM = 10_000  # passages from which BM25 runs beside the vector scan (see Searcher._run_retrievers)
BEST_SENTENCE_DEPTH = 10  # results past this rank are not read by people; they carry no best sentence
COMMON_TERM_SHARE = 0.5  # an expansion word found in more than this share of passages says nothing: dropped
MAX_NAMED_MISSING = 3  # the rarest words our pages lack, named to a reader whose question is not covered


def prepare_question(question: str) -> tuple[str, bool]:
    """The text that is searched: Unicode-normalised, control characters dropped, cut to a sensible prefix."""
    text = " ".join(normalise_unicode(question or "").split())
    if not text:
        raise QueryError("the question is empty; type a few words about what you want to know")
    if len(text) <= MAX_QUESTION_CHARS:
        return text, False
    cut = text[:MAX_QUESTION_CHARS]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut), True


@dataclass(frozen=True)
class _Query:
    """One question, ready for the retrievers."""

    text: str  # the reader's words, typos repaired
    terms: list[str]  # its BM25 terms
    expansion_terms: list[str]  # glossary terms not already in the question, common ones dropped
    expansion_text: str  # the kept expansions, for the dense side
    uncovered: tuple[str, ...]  # content words no passage holds nor glossary entry covers: weighed together
    missing: tuple[str, ...]  # those that are not everyday words, rarest in English first: the topics to name
    corrections: tuple[tuple[str, str], ...]
    covered: frozenset[str]  # its terms our pages contain, or that a glossary entry turns into our words
    asks_quantity: bool  # "how many …", "how common …": its best sentence is one that gives a number


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
        manifest, folder = self._load_version(version_folder)
        self._encoder = encoder or encode.Encoder(manifest.backend, cache_dir=self.index_dir / "cache")
        if encode.base_backend(self._encoder.backend) != encode.base_backend(manifest.backend):
            log.warning("the index was embedded with %s but questions are encoded with %s; rebuild for the best "
                        "results: nets-search build --backend %s", manifest.backend, self._encoder.backend,
                        self._encoder.backend)
        self._finish_loading()
        self.fusion = fusion
        self.calibration = _calibration_of(manifest, folder)

    def _load_version(self, version_folder: Path | None) -> tuple[Manifest, Path]:
        """Load the version in use. If builds switch in newer versions (and prune this one) while it loads,
        try the newer one: a reader never fails just because editors were rebuilding."""
        attempts = 0
        while True:
            version = store.current_version(self.index_dir)
            try:
                return self._read_files(version_folder)
            except (NetsSearchError, sqlite3.Error, RuntimeError, OSError) as exc:
                attempts += 1
                if version_folder is None and store.current_version(self.index_dir) != version and attempts < 3:
                    continue
                if isinstance(exc, NetsSearchError):
                    raise
                raise store.IndexCorruptError(
                    f"{self.index_dir}: the index could not be read ({exc}); {store.REBUILD_HINT}"
                ) from None

    def _read_files(self, version_folder: Path | None) -> tuple[Manifest, Path]:
        expect = f"{encode.MODEL_NAME}@{encode.model_hash()}"
        if version_folder is None:
            manifest, folder = store.open_current(self.index_dir, expect_model=expect)
        else:
            manifest, folder = store.open_folder(Path(version_folder), expect_model=expect)
        self.manifest: Manifest = manifest
        self.version = manifest.version
        self.passages: list[Passage] = passage_store.read_passages(folder / store.PASSAGES_DB)
        self._pages: dict[str, PageInfo] = passage_store.read_pages(folder / store.PASSAGES_DB)
        engine = engine_of(manifest.vector_engine)
        self._vectors = open_vectors(folder / store.VECTORS_FILE, engine)
        sentence_index = open_vectors(folder / store.SENTENCE_VECTORS_FILE, engine)
        self._sentences = passage_store.read_sentences(folder / store.PASSAGES_DB)
        self._lexical = LexicalIndex.load(folder / store.LEXICAL_DIR, len(self.passages))
        vectors, sentences = self._vectors.count(), sentence_index.count()
        if vectors != len(self.passages) or sentences != len(self._sentences):
            raise store.IndexCorruptError(
                f"{folder}: {vectors} vectors for {len(self.passages)} passages and {sentences} for "
                f"{len(self._sentences)} sentences; {store.REBUILD_HINT}"
            )
        self._sentence_matrix = sentence_index.vectors()  # scored exactly per candidate; the index itself is let go
        self._glossary = _load_glossary(folder)
        return manifest, folder

    def _finish_loading(self) -> None:
        """Derived lookups: passage rows, sentence rows per passage, vectors for exact scoring, IDF, and the
        words typos are repaired against."""
        self._row_of = {p.passage_id: row for row, p in enumerate(self.passages)}
        self._section_rows: dict[tuple[str, int], list[int]] = {}
        for row in sorted(range(len(self.passages)), key=lambda r: self.passages[r].position):
            p = self.passages[row]
            self._section_rows.setdefault((p.doc_id, p.section_index), []).append(row)
        try:
            self._scorer = SentenceScorer(self.passages, self._vectors.vectors(), self._sentences,
                                          self._sentence_matrix, analyse)
        except ValueError as exc:
            raise store.IndexCorruptError(f"{self.index_dir}: {exc}; {store.REBUILD_HINT}") from None
        self._sentence_matrix = None  # kept by the scorer, as the passages' vectors are
        self._candidate_index = self._vectors.for_candidates()
        self._vectors = None
        self._expansion_vectors: dict[str, np.ndarray] = {}  # one per glossary expansion at most
        self._query_vectors = encode.RecentVectors(engine_settings().query_cache)
        self._idf = self._lexical.idf()
        self._unknown_idf = max(self._idf.values(), default=1.0)
        self._common = _common_terms(self._idf, len(self.passages))
        self._normaliser = QueryNormaliser([p.text for p in self.passages], self._glossary, encode.known_words())

    def use_lexical(self, lexical: LexicalIndex) -> None:
        """Search with another BM25 index over the same passages: how benchmarks/quality.py tries BM25 settings on
        the tune parts without a build for each (the IDF, from which passages hold a term, does not change)."""
        if lexical.size != len(self.passages):
            raise ValueError(f"a BM25 index of {lexical.size} documents for {len(self.passages)} passages")
        if lexical.idf() != self._idf:  # the coverage signal and the common-term list are built on it
            raise ValueError("a BM25 index whose passages hold other terms than this version's")
        self._lexical = lexical

    def is_stale(self) -> bool:
        """True when a newer version has been switched in on disk (a cheap check: one small file)."""
        return store.current_version(self.index_dir) != self.version

    def search(self, question: str, k: int = 5, mode: str = "hybrid", repair: bool = True) -> SearchResponse:
        """The best `k` passages for `question` (k at most 100; past CANDIDATES, only as many as the two candidate
        lists hold together). `repair=False` searches the reader's words exactly as typed."""
        if mode not in retrievers.modes():
            raise QueryError(f"unknown search mode '{mode}' (choose from {', '.join(retrievers.modes())})")
        text, truncated = prepare_question(question)
        k = max(1, min(int(k), 100))
        query = self._prepare(text, repair)
        vector, key_gap = self._encode(query)
        search = retrievers.Search(query, vector)
        self._run_retrievers(search)
        fused = self._fuse(search.ranked, mode)
        ranks = {name: {row: r for r, (row, _) in enumerate(ranking, 1)} for name, ranking in search.ranked.items()}
        sentence_cos = search.extras.get("sentence_cos", {})
        results = tuple(
            Result(
                rank=rank,
                score=score,
                passage=self.passages[row],
                retriever_ranks=tuple((name, by_row.get(row)) for name, by_row in ranks.items()),
                best_sentence=self._best_sentence(row, sentence_cos, query) if rank <= BEST_SENTENCE_DEPTH else None,
            )
            for rank, (row, score) in enumerate(fused[:k], 1)
        )
        evidence = self._evidence(query, search.ranked.get("dense", []), key_gap)
        no_good_match = self.calibration.no_good_match(evidence)
        tentative = not no_good_match and not self.calibration.is_confident(evidence)
        return SearchResponse(
            query=question,
            results=results,
            no_good_match=no_good_match,
            searched_text=query.text,
            expansions=tuple(query.expansion_text.split("; ")) if query.expansion_text else (),
            truncated=truncated,
            corrections=query.corrections,
            evidence=evidence,
            missing_terms=query.missing[:MAX_NAMED_MISSING] if no_good_match else (),
            tentative=tentative,
        )

    # ----------------------------------------------------------------------- the steps of one search

    def _prepare(self, text: str, repair: bool) -> _Query:
        normalised = self._normaliser.normalise(text, repair)
        terms = analyse(normalised.text)
        own = set(terms)
        kept = [e for e in normalised.expansions if any(t not in self._common for t in analyse(e))]
        expansion_terms = [t for t in dict.fromkeys(analyse(" ".join(kept))) if t not in own and t not in self._common]
        glossed = set(analyse(" ".join(term for term, _ in self._glossary.matches(normalised.text))))
        covered = {t for t in own if t in self._idf} | glossed  # (not own & dict: that walks the whole vocabulary)
        content = _content_words(normalised.text)
        covered |= {stem for bare, stem in content.values()
                    if stem not in covered and self._normaliser.has_derived_form(bare)}
        uncovered = tuple(w for w, (_, stem) in content.items() if stem not in covered)
        missing = self._normaliser.rarest_first([w for w in uncovered if not self._normaliser.is_everyday(content[w][0])])
        return _Query(normalised.text, terms, expansion_terms, "; ".join(kept), uncovered, tuple(missing),
                      normalised.corrections, frozenset(covered), asks_quantity(normalised.text))

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
                    run = functools.partial(retriever.run, self, search)
                    search.pending[name] = (encode.helper_pool().submit(run), run)
        try:
            for name, retriever in registry.items():
                if name not in search.pending:
                    search.ranked[name] = retriever.run(self, search)
            search.ranked = {name: search.ranking(name) for name in registry}
        finally:
            search.cancel_pending()

    def _encode(self, query: _Query) -> tuple[np.ndarray, float]:
        """The question's vector (its expansions mixed in below its own words), and how much its meaning rests on
        the words our pages lack (0 if it has none).

        One encoder call per question: a glossary expansion's vector is encoded once and kept (there are as many as
        glossary entries), and the question with an expansion is approximated by the sum of the two vectors
        (measured against encoding "question (expansion)" on the tune parts: the same hit@1 and MRR@5)."""
        expansions = query.expansion_text.split("; ") if query.expansion_text else []
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
            variant = _without(text, uncovered)
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

    def lexical_ranking(self, query: _Query) -> list[tuple[int, float]]:
        """BM25 over the question's own terms, plus its glossary expansions' at the expansion weight."""
        own = dict(self._lexical.search(query.terms, CANDIDATES))
        if query.expansion_terms:
            for row, score in self._lexical.search(query.expansion_terms, CANDIDATES):
                own[row] = own.get(row, 0.0) + self.fusion.expansion_weight * score
        return sorted(own.items(), key=lambda pair: (-pair[1], pair[0]))[:CANDIDATES]

    def _candidates(self, vector: np.ndarray, lexical_hits: Callable[[], list[tuple[int, float]]]) -> list[int]:
        """Passages worth scoring exactly, sentence by sentence: the nearest passages and the lexical hits (asked
        for after the scan: they may still be on their way). (The sentences are not searched across the whole
        index: on MedQuAD's 184,000 sentences that costs ~10 ms a question, and the two candidate lists already
        hold the passages whose sentences answer.)"""
        rows = [row for row, _ in self._candidate_index.search(vector, CANDIDATES)]
        rows += [row for row, _ in lexical_hits()]
        return list(dict.fromkeys(rows))

    def dense_ranking(self, vector: np.ndarray, lexical_hits: Callable[[], list[tuple[int, float]]]
                      ) -> tuple[list[tuple[int, float]], dict[int, np.ndarray]]:
        """The candidates (nearest passages and the lexical hits) scored exactly, passage and best sentence."""
        return self._scorer.dense_scores(vector, self._candidates(vector, lexical_hits), self.fusion.sentence_weight)

    def _best_sentence(self, row: int, sentence_cos: dict[int, np.ndarray], query: _Query) -> tuple[int, int] | None:
        return self._scorer.best_sentence(row, sentence_cos, query.terms, query.expansion_terms, self._idf,
                                          self.fusion.expansion_weight, self.fusion.sentence_words_weight,
                                          self.fusion.quantity_weight if query.asks_quantity else 0.0,
                                          self.fusion.widen_to_references)

    def _evidence(self, query: _Query, dense, key_gap: float) -> Evidence:
        terms = set(query.terms)
        weights = {t: self._idf.get(t, self._unknown_idf) for t in terms}
        total = sum(weights.values())
        covered = sum(w for t, w in weights.items() if t in query.covered)
        return Evidence(
            top_similarity=dense[0][1] if dense else 0.0,
            term_coverage=covered / total if total else 0.0,
            key_gap=key_gap,
        )

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

    def _fuse(self, ranked: dict[str, list[tuple[int, float]]], mode: str) -> list[tuple[int, float]]:
        """One retriever's ranking alone, or every registered retriever's fused ("hybrid")."""
        if mode != "hybrid":
            return ranked[mode]
        registry = retrievers.REGISTRY
        weights = {name: registry[name].weight(self.fusion) for name in ranked}
        if self.fusion.method == "convex":
            scores = {name: scaled_to_best(r) if registry[name].scaled else r for name, r in ranked.items()}
            return convex_fusion(scores, weights)
        return reciprocal_rank_fusion({name: [row for row, _ in r] for name, r in ranked.items()}, weights, self.fusion.rrf_k)


def _without(text: str, removed: tuple[str, ...]) -> str:
    """`text` without the words `removed` (lower case, as `words` finds them: "parkinson's" whole), the rest as
    it was typed."""
    drop, pieces, last = set(removed), [], 0
    for match in WORD_RE.finditer(text):
        if match.group().lower() in drop:
            pieces.append(text[last : match.start()])
            last = match.end()
    pieces.append(text[last:])
    return " ".join("".join(pieces).split()) or "?"


def _content_words(text: str) -> dict[str, tuple[str, str]]:
    """The question's content words as typed (lower case), each with its bare form and its BM25 term."""
    content = {}
    for word in dict.fromkeys(words(text.lower())):
        bare = _bare(word)
        terms = analyse(bare) if len(bare) > 2 and not is_stopword(bare) else []
        if terms:
            content[word] = (bare, terms[0])
    return content


def _bare(word: str) -> str:
    """A word without apostrophes ("parkinson's" -> "parkinsons", "doesn't" -> "doesnt"), as the word lists hold it."""
    return word.replace("'", "").replace("’", "")


def _common_terms(idf: dict[str, float], passages: int) -> frozenset[str]:
    """Terms in more than COMMON_TERM_SHARE of the passages (from the BM25 IDF: idf = ln(1 + (n - df + .5) / (df + .5)))."""
    if passages < 4:
        return frozenset()
    common = set()
    for term, value in idf.items():
        df = (passages + 0.5 - 0.5 * (np.exp(value) - 1)) / np.exp(value)
        if df > COMMON_TERM_SHARE * passages:
            common.add(term)
    return frozenset(common)


def _calibration_of(manifest: Manifest, folder: Path) -> Calibration:
    """The version's own calibration, unless it was fitted on signals that have since changed meaning (a version
    built by an older release): then the package default, until the next build refits it."""
    if manifest.lexical.get("signals") == SIGNALS_VERSION:
        return Calibration.for_version(folder)
    log.warning("%s was built by an older release: its 'no good match' decision is the package default until the "
                "next build (nets-search build) refits it", folder.name)
    return Calibration.load()


def _load_glossary(folder: Path) -> Glossary:
    path = folder / store.GLOSSARY_FILE
    if not path.is_file():
        return Glossary()
    return Glossary.from_dict(json.loads(path.read_text(encoding="utf-8")))
