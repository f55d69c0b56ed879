"""Small frozen value objects that cross module lines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One source document: a Markdown/text file in the corpus folder or one line of a JSONL corpus."""

    doc_id: str
    title: str
    body: str
    kind: str  # "markdown" or "text"
    content_hash: str
    source: str = ""
    reviewed: str = ""
    path: str = ""
    publisher: str = ""


@dataclass(frozen=True)
class PageInfo:
    """What a reader is told about a passage's page: where it comes from and how current it is."""

    title: str
    source: str = ""
    publisher: str = ""
    reviewed: str = ""


@dataclass(frozen=True)
class Passage:
    passage_id: str
    doc_id: str
    title: str
    section: str
    text: str
    position: int  # order of the passage within its page
    section_index: int  # which section of the page it belongs to
    source: str = ""

    @property
    def breadcrumb(self) -> str:
        return f"{self.title} › {self.section}" if self.section else self.title

    @property
    def embedding_text(self) -> str:
        """What the encoder reads: the passage with its page and section context."""
        return f"{self.breadcrumb}\n{self.text}"


LABELS = ("strong", "good", "related", "weak")  # a result's strength label, strongest first (search/labels.py)


@dataclass(frozen=True)
class Urgency:
    """Whether a question describes an emergency happening now (search/urgent.py decides), and what to do."""

    urgent: bool = False
    flag: str | None = None  # short name of the red flag matched ("breathing"), for JSON and logs
    reason: str | None = None  # the red flag in plain words ("trouble breathing")
    life_threatening: bool = False  # 999 if true; 111 or the care team if urgent but not

    @property
    def call(self) -> str | None:
        """The number to ring: "999", "111" (or the care team), or None when not urgent."""
        if not self.urgent:
            return None
        return "999" if self.life_threatening else "111"


@dataclass(frozen=True)
class Result:
    rank: int
    score: float
    passage: Passage
    retriever_ranks: tuple[tuple[str, int | None], ...] = ()  # (retriever name, its rank for this passage or None)
    best_sentence: tuple[int, int] | None = None
    label: str = "related"  # one of LABELS, set by the Searcher: never stronger than the label of the result above
    also_on: tuple[Passage, ...] = ()  # near-identical passages of other pages, folded into this card (folding.py)

    @property
    def ranks(self) -> dict[str, int | None]:
        """The passage's rank in each registered retriever (None: that retriever did not return it)."""
        return dict(self.retriever_ranks)

    @property
    def dense_rank(self) -> int | None:
        return self.ranks.get("dense")

    @property
    def lexical_rank(self) -> int | None:
        return self.ranks.get("lexical")

    def to_dict(self) -> dict:
        p = self.passage
        out = {
            "rank": self.rank,
            "score": round(self.score, 4),
            "doc_id": p.doc_id,
            "passage_id": p.passage_id,
            "title": p.title,
            "section": p.section,
            "text": p.text,
            "source": p.source,
            "best_sentence": list(self.best_sentence) if self.best_sentence else None,
            "ranks": self.ranks,
            "label": self.label,
        }
        if self.also_on:  # the pages a folded card's text is also on, like the response's other optional keys
            out["also_on"] = [{"title": a.title, "doc_id": a.doc_id, "section": a.section,
                               "passage_id": a.passage_id} for a in self.also_on]
        return out


@dataclass(frozen=True)
class SearchResponse:
    query: str
    results: tuple[Result, ...]
    no_good_match: bool = False
    searched_text: str = ""  # the question after normalisation (typos repaired, truncation)
    expansions: tuple[str, ...] = ()  # glossary expansions searched beside it, below the reader's own words
    truncated: bool = False
    corrections: tuple[tuple[str, str], ...] = ()  # (typed, corrected) word pairs
    evidence: object = None  # confidence.Evidence behind no_good_match
    missing_terms: tuple[str, ...] = ()  # when no_good_match: the question's words no passage contains, not
    # everyday ones (e.g. another drug)
    tentative: bool = False  # answered, but not surely covered by our pages: no passage is labelled more than related
    urgency: Urgency = Urgency()  # whether the question describes an emergency now, covered by our pages or not

    def to_dict(self, query_id: str | None = None) -> dict:
        out: dict = {"id": query_id} if query_id is not None else {}
        out.update(query=self.query, urgent=self.urgency.urgent)
        if self.urgency.urgent:
            out.update(urgent_reason=self.urgency.reason, call=self.urgency.call)
        out.update(no_good_match=self.no_good_match, results=[r.to_dict() for r in self.results])
        if self.truncated:
            out["truncated"] = True
        if self.corrections:
            out["corrections"] = [list(pair) for pair in self.corrections]
        if self.missing_terms:
            out["missing_terms"] = list(self.missing_terms)
        if self.tentative:
            out["tentative"] = True
        return out


@dataclass(frozen=True)
class Manifest:
    """What a built index version was made from; written as manifest.json beside the data files, with its own
    checksum in manifest.sha256. Every field is required: manifest_schema.py says what each may hold."""

    format_version: int
    version: str
    model: str
    model_hash: str
    backend: str
    dimensions: int
    max_seq_length: int
    splitter: dict
    retrieval: dict  # BM25's settings, the fusion settings and the no-good-match signals version
    files: dict  # doc path/id -> content hash
    passages: int
    index_type: str
    built_at: str
    build_seconds: float
    checksums: dict  # every file of the version (path inside its folder) -> sha256
    vector_engine: str  # where the vectors are kept (vectors.ENGINES)


@dataclass(frozen=True)
class KeptVersion:
    """A version folder on disk, as `nets-search versions` lists it: its manifest, or why it cannot be used."""

    name: str
    manifest: Manifest | None  # None: damaged (or built by an older release)
    problem: str = ""  # one line, when manifest is None


@dataclass(frozen=True)
class NotPublished:
    """A file a build left out because it cannot be read or has no text; the editor panel and the command line
    list it. The previous version of the page stays on the site until the file is fixed (`previous_kept`); a new
    page is simply not there yet."""

    file: str  # its name in the corpus folder
    reason: str  # what is wrong, in plain words
    line: int | None = None  # the line of the file to look at, 1 being the first
    previous_kept: bool = False  # readers still see the version of the page published before
    was_published: bool = False  # the version in use has the page (kept unless that version could not be read)
    settings_file: bool = False  # the glossary, page settings or labelled questions: no page, but read by a build

    @property
    def message(self) -> str:
        """The line an editor reads, e.g. "Not published: octreotide.md — line 2: a quote is not closed. Readers
        still see the previous version of this page."""
        where = f"line {self.line}: " if self.line else ""
        return f"Not published: {self.file} — {where}{self.reason.rstrip('.')}. {self._outcome()}"

    def _outcome(self) -> str:
        if self.settings_file:
            return "It is not used until it is fixed."
        if self.previous_kept:
            return "Readers still see the previous version of this page."
        if self.was_published:
            return "It is off the site until it is fixed."
        return "It is not on the site yet."


@dataclass(frozen=True)
class BuildReport:
    version: str
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    passages: int
    embedded: int
    reused: int
    seconds: float
    over_token_limit: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    nothing_changed: bool = False
    calibration: str = ""  # how the version's "no good match" decision was fitted
    sentences: int = 0  # sentence vectors in the version (each passage's sentences, for sentence-level evidence)
    pages: int = 0  # pages published from the files on disk (not counting the previous versions kept)
    not_published: tuple[NotPublished, ...] = ()  # files left out, each with why, by file name
