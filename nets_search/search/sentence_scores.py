"""Scoring at two grains: each candidate passage by its own vector and its best sentence's, and the sentence of a
passage that answers the question (issue 10's sentence-level evidence; by shared words alone where no sentence
cosines are at hand: `best_sentence`). A passage's sentences are consecutive rows of one matrix, so a question's
candidates and all their sentences are scored in one gather."""

from __future__ import annotations

from typing import Callable

import numpy as np

from nets_search.text import holds_quantity, points_elsewhere, refers_back, sentence_spans
from nets_search.types import Passage

LIST_MARKS = ("•", "-", "*")  # how a list item starts in a passage's text
MAX_LIST_ITEMS = 8  # a lead-in's list items shown with it, at most


class SentenceScorer:
    """The passage and sentence vectors of a loaded version, and each sentence's terms (analysed on first use)."""

    def __init__(self, passages: list[Passage], passage_matrix: np.ndarray, sentences: list[tuple[int, int, int]],
                 sentence_matrix: np.ndarray, analyse: Callable[[str], list[str]]) -> None:
        """`sentences`: (passage row, start, end) per sentence row. Raises ValueError if a passage's sentences
        are not consecutive rows."""
        self._passages = passages
        self._passage_matrix = passage_matrix
        self._sentences = sentences
        self._sentence_matrix = sentence_matrix
        self._analyse = analyse
        self._sentences_of: list[list[int]] = [[] for _ in passages]
        for sentence_row, (row, _, _) in enumerate(sentences):
            self._sentences_of[row].append(sentence_row)
        if any(s and s != list(range(s[0], s[0] + len(s))) for s in self._sentences_of):
            raise ValueError("sentences out of passage order")
        self._count = np.array([len(s) for s in self._sentences_of], dtype=np.int64)
        self._start = np.array([s[0] if s else 0 for s in self._sentences_of], dtype=np.int64)
        self._terms_cache: dict[int, frozenset[str]] = {}

    @property
    def sentence_vectors(self) -> np.ndarray:
        """Every sentence's vector, by sentence row."""
        return self._sentence_matrix

    def sentence_rows(self, row: int) -> list[int]:
        """The sentence rows of passage `row`, in reading order (consecutive)."""
        return self._sentences_of[row]

    def dense_scores(self, vector: np.ndarray, rows: list[int], sentence_weight: float
                     ) -> tuple[list[tuple[int, float]], dict[int, np.ndarray]]:
        """(row, dense score) best first — the passage's cosine and its best sentence's, mixed at
        `sentence_weight` — and the cosines of each of those rows' sentences (by row)."""
        if not rows:
            return [], {}
        picked = np.asarray(rows)
        passage_cos = self._passage_matrix[picked] @ vector
        counts, starts = self._count[picked], self._start[picked]
        best, by_row = passage_cos.copy(), {}
        total = int(counts.sum())
        if total:
            offsets = np.cumsum(counts) - counts
            rows_of_sentences = np.repeat(starts - offsets, counts) + np.arange(total)
            sims = np.take(self._sentence_matrix, rows_of_sentences, axis=0) @ vector  # (faster than [rows])
            has = counts > 0
            best[has] = np.maximum.reduceat(sims, offsets[has])
            by_row = {row: sims[o : o + c] for row, o, c in zip(rows, offsets.tolist(), counts.tolist()) if c}
        dense = (1 - sentence_weight) * passage_cos + sentence_weight * best
        order = np.lexsort((picked, -dense))  # best first, ties by row: deterministic
        return [(rows[i], float(dense[i])) for i in order.tolist()], by_row

    def best_sentence(self, row: int, sentence_cos: dict[int, np.ndarray], terms: list[str],
                      expansion_terms: list[str], idf: dict[str, float], expansion_weight: float,
                      words_weight: float, quantity_weight: float = 0.0, widen: bool = True
                      ) -> tuple[int, int] | None:
        """The (start, end) of the sentence that answers: nearest the question in meaning, plus `words_weight`
        times the share of the question's own words it holds (IDF-weighted, glossary words at the expansion
        weight), plus `quantity_weight` if it gives a number (pass 0 unless the question asks for one). Shown
        with the list it leads into and (`widen`) the sentence it points back at or that points back at it."""
        sentences = self._sentences_of[row]
        if not sentences or row not in sentence_cos:
            return best_sentence(self._passages[row].text, set(terms), idf, self._analyse)
        wanted = {t: idf.get(t, 0.0) for t in terms}
        for t in expansion_terms:
            wanted.setdefault(t, expansion_weight * idf.get(t, 0.0))
        total = sum(wanted.values()) or 1.0

        def bonus(number: int) -> float:
            sentence_row = sentences[number]
            held = sum(w for t, w in wanted.items() if t in self._terms(sentence_row)) / total
            return words_weight * held + (quantity_weight if quantity_weight and holds_quantity(
                self._text(sentence_row)) else 0.0)

        cosines = sentence_cos[row].tolist()
        chosen = _best_scoring(cosines, words_weight + quantity_weight, bonus)
        while points_elsewhere(self._text(sentences[chosen])) and any(c > float("-inf") for c in cosines):
            cosines[chosen] = float("-inf")  # a sentence that only sends the reader elsewhere never answers:
            chosen = _best_scoring(cosines, words_weight + quantity_weight, bonus)  # the next best does
        return self._readable_span(sentences, chosen, widen)

    def _readable_span(self, sentences: list[int], chosen: int, widen: bool) -> tuple[int, int]:
        """The chosen sentence, widened so it reads on its own: back to the sentence it points at ("These cells
        release hormones …"), on through the list it leads into ("… call a doctor right away:") or else to the
        next sentence when that one points back at it ("This is an older term …")."""
        before, this, after = sentences[chosen - 1] if chosen else None, sentences[chosen], sentences[chosen + 1 :]
        _, start, end = self._sentences[this]
        listed = self._through_list(this, after)
        # A list item is shown as it is, and "These …" after a list is not joined to its last item: it means all of it.
        if widen and not self._is_list_item(this):
            if before is not None and refers_back(self._text(this)) and not self._is_list_item(before):
                start = self._sentences[before][1]
            if listed == end and after and self._points_back(after[0]):
                listed = self._sentences[after[0]][2]
        return start, listed

    def _points_back(self, sentence_row: int) -> bool:
        """A sentence, not a list item, opening with a word that points at the sentence before it."""
        return not self._is_list_item(sentence_row) and refers_back(self._text(sentence_row))

    def _through_list(self, lead_in: int, following: list[int]) -> int:
        """Where the span starting at sentence `lead_in` ends: a lead-in ("… should call a doctor right away:") is
        no answer on its own, so the list items right after it are part of it."""
        end = self._sentences[lead_in][2]
        if not self._text(lead_in).rstrip().endswith(":"):
            return end
        for sentence_row in following[:MAX_LIST_ITEMS]:
            if not self._is_list_item(sentence_row):
                break
            end = self._sentences[sentence_row][2]
        return end

    def _is_list_item(self, sentence_row: int) -> bool:
        return self._text(sentence_row).lstrip().startswith(LIST_MARKS)

    def _text(self, sentence_row: int) -> str:
        row, start, end = self._sentences[sentence_row]
        return self._passages[row].text[start:end]

    def _terms(self, sentence_row: int) -> frozenset[str]:
        """A sentence's terms, analysed on first use (`best_sentence` asks only for sentences that can still win)."""
        terms = self._terms_cache.get(sentence_row)
        if terms is None:
            terms = self._terms_cache[sentence_row] = frozenset(self._analyse(self._text(sentence_row)))
        return terms


def best_sentence(text: str, question_terms: set[str], idf: dict[str, float], analyse) -> tuple[int, int] | None:
    """The span of the sentence sharing the most (IDF-weighted) terms with the question; None if none shares any."""
    best, best_score = None, 0.0
    for start, end in sentence_spans(text):
        terms = set(analyse(text[start:end]))
        score = sum(idf.get(t, 0.0) for t in terms & question_terms)
        if score > best_score + 1e-9:
            best, best_score = (start, end), score
    return best


def _best_scoring(cosines: list[float], most_bonus: float, bonus: Callable[[int], float]) -> int:
    """The index maximising cosines[i] + bonus(i), the first one on a tie, where 0 <= bonus(i) <= most_bonus
    (a NaN cosine counts as -inf).

    Sentences are tried nearest first and the search stops once no later one could win even with the largest
    bonus (holding every word of the question, and a number if one was asked for): most of a passage's sentences
    are never analysed (MedQuAD: analysing them all was a tenth of a search's time), and the same sentence is
    chosen as by scoring every one."""
    if not cosines:
        raise ValueError("no sentences to choose from")
    cosines = [c if c == c else float("-inf") for c in cosines]
    reach = max(most_bonus, 0.0) * (1 + 1e-9) + 1e-12  # a rounding step of slack: never stops too early
    best, best_score = 0, float("-inf")
    for number in sorted(range(len(cosines)), key=lambda i: (-cosines[i], i)):
        if cosines[number] + reach < best_score:
            break
        score = cosines[number] + bonus(number)
        if score > best_score or (score == best_score and number < best):
            best, best_score = number, score
    return best
