"""Question analysis before retrieval: the text searched, lay words from the editors' glossary, typo repair, and
the words our pages lack (`QueryAnalyser.prepare` gives the `PreparedQuery` every retriever reads).

The question the reader typed is always kept; corrections replace misspelt words (only words that are in no English
word list and not in our pages), and glossary expansions are returned beside the question, not mixed into it, so the
searcher can weigh them below the reader's own words.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from nets_search.corpus.glossary import Glossary
from nets_search.errors import QueryError
from nets_search.index.lexical import analyse, is_stopword
from nets_search.search.medical_words import MEDICAL_WORDS
from nets_search.search.typo_candidates import TypoCandidates
from nets_search.text import WORD_RE, normalise_unicode, words

# A question answered with a number or a share: its best sentence is one that gives one.
_ASKS_QUANTITY = re.compile(
    r"\b(how\s+(many|much|common|commonly|often|frequent|frequently|long|high|likely|old|rare)|"
    r"what\s+(percent|percentage|proportion|age)|what\s+are\s+the\s+(chances|odds)|survival\s+rate|prevalence|"
    r"life\s+expectancy)\b", re.IGNORECASE)
TYPO_CUTOFF = 80  # rapidfuzz ratio (0-100) a correction must reach
MIN_TYPO_LENGTH = 4
GLOSSARY_TYPO_CUTOFF = 85  # stricter for a glossary word the pages lack: names ("crps", "tremens") sit at 80-83
MIN_GLOSSARY_TARGET = 5  # and not onto short ones ("dietz" is no typo of "diet")
DERIVED_SUFFIXES = ("less", "lessness", "ness")  # derived words the stemmer keeps apart from their base
MIN_DERIVED_BASE = 4
EVERYDAY_WORDS = 1000  # this many of the most frequent English words never carry a question's topic on their own
RARE_FROM = 50_000  # past this many of the most frequent English words, a word is rare enough to name as a topic
MAX_QUESTION_CHARS = 1000
COMMON_TERM_SHARE = 0.5  # an expansion word found in more than this share of passages says nothing: dropped


def asks_quantity(question: str) -> bool:
    """True for "how many …", "how common …", "at what age …" and the like."""
    return _ASKS_QUANTITY.search(question) is not None


@dataclass(frozen=True)
class NormalisedQuery:
    text: str  # what the retrievers read
    corrections: tuple[tuple[str, str], ...] = ()
    expansions: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def word_counts() -> dict[str, int]:
    """An English word list (pyspellchecker's, shipped in its wheel), with how often each word occurs in its
    source texts. Loaded once: the typo check and the everyday-word check both read it."""
    from spellchecker import SpellChecker

    return dict(SpellChecker(distance=1).word_frequency.dictionary)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """A word found here is a real word the reader meant, never a typo to repair ("runny" must not become
    "Ronny")."""
    return frozenset(word_counts())


@lru_cache(maxsize=1)
def everyday_words() -> frozenset[str]:
    """The most frequent words of that list ("mean", "help", "told", "husband"): a question's wording, not its
    topic, so a missing one is not weighed as a key word our pages lack."""
    counts = word_counts()
    top = sorted(counts, key=lambda w: (-counts[w], w))[:EVERYDAY_WORDS]
    # Questions are checked without apostrophes ("doesn't" and a typed "doesnt" both read "doesnt"), so the
    # contractions among them ("don't", "won't", "that's") count in that form too.
    return frozenset(top) | {w.replace("'", "") for w in top}


@lru_cache(maxsize=1)
def common_english() -> frozenset[str]:
    """The RARE_FROM most frequent words of that list: everyday English, never named to a reader as a topic our
    pages lack unless it leans medical (see `QueryNormaliser.is_named`)."""
    counts = word_counts()
    top = sorted(counts, key=lambda w: (-counts[w], w))[:RARE_FROM]
    return frozenset(top) | {w.replace("'", "") for w in top}


class QueryNormaliser:
    """Holds the corpus's own words (to repair typos against) and the glossary."""

    def __init__(self, passage_texts: list[str], glossary: Glossary, known_words: frozenset[str]) -> None:
        self._known = known_words
        self.glossary = glossary
        self._corpus_words: Counter = Counter()
        self._everyday: frozenset[str] = frozenset()
        self._common_english: frozenset[str] = frozenset()
        self._choices = TypoCandidates([])
        self._glossary_words: frozenset[str] = frozenset()
        self._glossary_choices: list[str] = []
        self._ready = threading.Event()
        # Counting a large corpus's words takes a second or two: do it beside the first page render, not before.
        threading.Thread(target=self._count_words, args=(passage_texts,), daemon=True).start()

    def _count_words(self, passage_texts: list[str]) -> None:
        try:
            counts = Counter(words(normalise_unicode("\n".join(passage_texts)).lower()))
            self._corpus_words = Counter({w: n for w, n in counts.items() if w.isalpha()})
            self._choices = TypoCandidates([w for w, _ in self._corpus_words.most_common()
                                            if len(w) >= MIN_TYPO_LENGTH])
            self._glossary_words = frozenset(self.glossary.words())
            self._glossary_choices = [w for w in self.glossary.single_words()
                                      if len(w) >= MIN_GLOSSARY_TARGET and w not in self._corpus_words]
            self._known = self._known | english_words()
            self._everyday = everyday_words()
            self._common_english = common_english()
        finally:
            self._ready.set()

    def normalise(self, question: str, repair: bool = True) -> NormalisedQuery:
        """The question with typos repaired (unless `repair` is False: the reader asked for their own words),
        and the glossary expansions of its lay words, kept apart."""
        corrections = self._corrections(question) if repair else ()
        text = question
        for wrong, right in corrections:
            text = re.sub(rf"\b{re.escape(wrong)}\b", right, text, flags=re.IGNORECASE)
        expansions = tuple(dict.fromkeys(self.glossary.expansions(text)))
        return NormalisedQuery(text, corrections, expansions)

    def is_everyday(self, word: str) -> bool:
        self._ready.wait()
        return word in self._everyday

    def is_named(self, word: str) -> bool:
        """Whether a word our pages lack may be named to the reader ("Our information does not mention …").

        Only a word that is not everyday English: one past the RARE_FROM most frequent English words or in no
        English list at all (another drug, a brand, "lanreotide"), or a common one that leans medical
        (medical_words.py: "diabetes", "asthma", "insulin"). Everyday wording is never named, however rare in
        print: "breathe", "properly", "stairs", "runny", "jab", "knackered". Naming is all this decides: the
        no-good-match evidence weighs every uncovered word (`PreparedQuery.uncovered`), named or not."""
        self._ready.wait()
        return word not in self._everyday and (word not in self._common_english or word in MEDICAL_WORDS)

    def has_derived_form(self, word: str) -> bool:
        """True when our pages hold the word with a derivational suffix the stemmer leaves on: a reader's "breath"
        is covered by the pages' "breathlessness" (stemmed "breathless", not "breath")."""
        self._ready.wait()
        return len(word) >= MIN_DERIVED_BASE and any(word + suffix in self._corpus_words for suffix in DERIVED_SUFFIXES)

    def rarest_first(self, words: list[str]) -> list[str]:
        """Words in order of how rare they are in English (words in no list first): the likeliest topics first."""
        self._ready.wait()
        counts = word_counts()
        return sorted(words, key=lambda w: counts.get(w, 0))

    def _corrections(self, question: str) -> tuple[tuple[str, str], ...]:
        self._ready.wait()
        found = []
        for word in dict.fromkeys(words(normalise_unicode(question).lower())):
            if len(word) < MIN_TYPO_LENGTH or not word.isalpha():
                continue
            if word in self._corpus_words or word in self._known or word in self._glossary_words:
                continue
            match = (process.extractOne(word, self._choices.near(word, TYPO_CUTOFF), scorer=fuzz.ratio,
                                       score_cutoff=TYPO_CUTOFF)
                     or process.extractOne(word, self._glossary_choices, scorer=fuzz.ratio,
                                           score_cutoff=GLOSSARY_TYPO_CUTOFF))
            if match:
                found.append((word, match[0]))
        return tuple(found)


# --------------------------------------------------------------------------- the question every retriever reads


def prepare_question(question: str) -> tuple[str, bool]:
    """The text that is searched: Unicode-normalised, control characters dropped, cut to a sensible prefix; and
    whether it was cut."""
    text = " ".join(normalise_unicode(question or "").split())
    if not text:
        raise QueryError("the question is empty; type a few words about what you want to know")
    if len(text) <= MAX_QUESTION_CHARS:
        return text, False
    cut = text[:MAX_QUESTION_CHARS]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut), True


@dataclass(frozen=True)
class PreparedQuery:
    """One question, ready for the retrievers."""

    text: str  # the reader's words, typos repaired
    terms: list[str]  # its BM25 terms
    expansion_terms: list[str]  # glossary terms not already in the question, common ones dropped
    expansion_text: str  # the kept expansions ("; " between them), for the dense side
    uncovered: tuple[str, ...]  # content words no passage holds nor glossary entry covers: weighed together
    missing: tuple[str, ...]  # those that are not everyday English (`QueryNormaliser.is_named`), rarest first:
    # the topics to name; they feed no decision
    corrections: tuple[tuple[str, str], ...]
    covered: frozenset[str]  # its terms our pages contain, or that a glossary entry turns into our words
    asks_quantity: bool  # "how many …", "how common …": its best sentence is one that gives a number

    @property
    def expansions(self) -> tuple[str, ...]:
        return tuple(self.expansion_text.split("; ")) if self.expansion_text else ()


class QueryAnalyser:
    """Prepares questions against one index version: its typo repair and glossary (`normaliser`) and the IDF of
    its BM25 terms."""

    def __init__(self, normaliser: QueryNormaliser, idf: dict[str, float], passages: int) -> None:
        self._normaliser = normaliser
        self._glossary = normaliser.glossary
        self._idf = idf
        self._common = common_terms(idf, passages)

    def prepare(self, text: str, repair: bool = True) -> PreparedQuery:
        """`text` (from `prepare_question`) repaired (unless `repair` is False), with its kept glossary expansions
        and the words our pages lack."""
        normalised = self._normaliser.normalise(text, repair)
        terms = analyse(normalised.text)
        own = set(terms)
        kept = [e for e in normalised.expansions if any(t not in self._common for t in analyse(e))]
        expansion_terms = [t for t in dict.fromkeys(analyse(" ".join(kept))) if t not in own and t not in self._common]
        glossed = set(analyse(" ".join(term for term, _ in self._glossary.matches(normalised.text))))
        covered = {t for t in own if t in self._idf} | glossed  # (not own & dict: that walks the whole vocabulary)
        content = _content_words(normalised.text)
        covered |= {term for bare, term in content.values()
                    if term not in covered and self._normaliser.has_derived_form(bare)}
        uncovered = tuple(w for w, (_, term) in content.items() if term not in covered)
        missing = self._normaliser.rarest_first([w for w in uncovered if not _CONTRACTION.search(w)
                                                 and self._normaliser.is_named(content[w][0])])
        return PreparedQuery(normalised.text, terms, expansion_terms, "; ".join(kept), uncovered, tuple(missing),
                             normalised.corrections, frozenset(covered), asks_quantity(normalised.text))


def without(text: str, removed: tuple[str, ...]) -> str:
    """`text` without the words `removed` (lower case, as `words` finds them: "parkinson's" whole), the rest as
    it was typed."""
    drop, pieces, last = set(removed), [], 0
    for match in WORD_RE.finditer(text):
        if match.group().lower() in drop:
            pieces.append(text[last : match.start()])
            last = match.end()
    pieces.append(text[last:])
    return " ".join("".join(pieces).split()) or "?"


_CONTRACTION = re.compile(r"['’](?:re|ve|ll|d|m|t)$")  # "you're", "we'll": wording, never a topic to name


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


def common_terms(idf: dict[str, float], passages: int) -> frozenset[str]:
    """Terms in more than COMMON_TERM_SHARE of the passages (from the BM25 IDF: idf = ln(1 + (n - df + .5) / (df + .5)))."""
    if passages < 4:
        return frozenset()
    common = set()
    for term, value in idf.items():
        df = (passages + 0.5 - 0.5 * (np.exp(value) - 1)) / np.exp(value)
        if df > COMMON_TERM_SHARE * passages:
            common.add(term)
    return frozenset(common)
