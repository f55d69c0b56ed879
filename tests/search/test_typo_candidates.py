"""search/typo_candidates.py: the letter-count bound rules out only words that cannot reach the cutoff, and keeps
the order, so typo repair finds what comparing against every word finds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from nets_search.search.typo_candidates import TypoCandidates

_WORD = st.text(alphabet="abcdeilnorstuéß'", min_size=1, max_size=14)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORD, min_size=1, max_size=60, unique=True), _WORD, st.sampled_from([60, 80, 85, 90]))
def test_every_word_that_reaches_the_cutoff_is_kept_in_order(choices, typed, cutoff) -> None:
    reaching = [w for w in choices if fuzz.ratio(typed, w) >= cutoff]
    near = TypoCandidates(choices).near(typed, cutoff)
    assert [w for w in near if w in reaching] == reaching
    best = process.extractOne(typed, near, scorer=fuzz.ratio, score_cutoff=cutoff)
    best_of_all = process.extractOne(typed, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
    assert (best and best[:2]) == (best_of_all and best_of_all[:2])  # (word, score); the index is into its list


@pytest.mark.parametrize(("typed", "kept"), [("diarhoea", {"diarrhoea"}), ("flushng", {"flushing"}),
                                             ("zzzz", set())])
def test_words_far_from_the_typed_one_are_ruled_out(typed, kept) -> None:
    choices = ["diarrhoea", "flushing", "serotonin", "somatostatin", "tumour", "octreotide"]
    assert set(TypoCandidates(choices).near(typed, 80)) == kept


def test_no_choices_gives_none() -> None:
    assert TypoCandidates([]).near("tumour", 80) == []
