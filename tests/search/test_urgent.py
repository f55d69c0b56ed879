"""The urgent-question detector: describing an emergency now is flagged, asking about one is not."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nets_search.search.urgent import NOT_URGENT, Urgency, assess, normalise

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "urgent-questions"

# (red flag, a question describing it now, a question about it) — none of them in the labelled set.
FAMILIES = [
    ("breathing", "my wife is struggling to breathe", "can a lung NET make it hard to breathe?"),
    ("breathing", "help my dad cant breathe", "what should i do if my husband stops breathing"),
    ("chest-pain", "i have crushing chest pain", "is chest pain a side effect of lanreotide"),
    ("chest-pain", "my chest hurts really badly and it's spreading to my arm",
     "he gets chest pain when he climbs stairs"),
    ("collapse", "my husband has collapsed", "what to do if someone collapses"),
    ("collapse", "mum is unconscious and wont wake up", "my dad collapsed last year, can he still have surgery"),
    ("stroke", "her face is drooping and her speech is slurred", "what are the signs of a stroke"),
    ("stroke", "my mom's arm is suddenly weak and she can't talk properly",
     "how do i know if my husband is having a stroke"),
    ("seizure", "my son is having a seizure", "can NETs cause seizures"),
    ("seizure", "he is fitting", "i had a fit years ago"),
    ("bleeding", "my husband is vomiting blood", "is vomiting blood a sign of a stomach NET"),
    ("bleeding", "he is bleeding a lot and it wont stop", "what is the risk of bleeding after a liver biopsy"),
    ("allergic-reaction", "his lips are swelling after the injection", "signs of anaphylaxis"),
    ("headache", "worst headache ive ever had", "what is a thunderclap headache"),
    ("abdominal-pain", "sudden severe stomach pain", "bad tummy ache after lanreotide"),
    ("self-harm", "i want to kill myself", "can lanreotide cause suicidal thoughts"),
    ("self-harm", "i keep having thoughts of ending it all", "is depression common with NETs"),
    ("carcinoid-crisis", "i think im having a carcinoid crisis", "how to prevent carcinoid crisis"),
    ("carcinoid-crisis", "she is flushing and her blood pressure is dropping",
     "low blood pressure and flushing, what does it mean"),
    ("sepsis", "temperature of 39 and he is very confused", "how do i recognise sepsis"),
    ("confusion", "i am really confused and my head is pounding",
     "i'm really confused about octreotide and lanreotide"),
]


@pytest.mark.parametrize("flag, describing, about", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_describing_a_red_flag_is_urgent_asking_about_it_is_not(flag, describing, about):
    found = assess(describing)
    assert found.urgent and found.flag == flag and found.reason
    assert assess(about) == NOT_URGENT


@pytest.mark.parametrize("question", [
    "my dad is flushing and cant breathe properly",  # the example
    "my dad is flushing and can't breathe properly",
    "my dad is flushing and cant breath properly",  # "breath" for breathe
    "MY DAD IS FLUSHING AND CAN’T BREATHE PROPERLY!!",  # capitals, curly apostrophe
    "mum is unconcious and wont wake up",  # typos
    "she is having a siezure",
    "im vommiting blood",
    "my partner is hemorrhaging",  # US spelling
    "my partner is haemorrhaging",  # UK spelling
    "whats happening to me i cant breathe",
    "why can't I breathe right now",  # a "why" with a now-cue
])
def test_typos_spellings_and_case_are_read_through(question):
    assert assess(question).urgent


@pytest.mark.parametrize("question", [
    "what is a carcinoid crisis",  # the examples
    "why do I get short of breath on stairs",
    "can octreotide cause chest pain?",
    "chest pain",  # bare topic words
    "shortness of breath",
    "I get wheezy when I flush",  # habitual
    "i struggle to breathe when walking up hill",
    "i cant breathe through my nose since the scan",
    "my wife can't sleep",  # "can't" without a red flag
    "I can't stop worrying about my scan results",
    "this flushing is killing me, anything that helps?",  # figures of speech
    "am i going to die from this",
    "when should I call 999",
])
def test_questions_about_symptoms_are_not_urgent(question):
    assert assess(question) == NOT_URGENT


@pytest.mark.parametrize("question, call", [
    ("my dad is flushing and cant breathe properly", "999"),
    ("she collapsed and won't wake up", "999"),
    ("i want to end my life", "999"),
    ("I have a temperature of 38.5 on chemo", "111"),
    ("my skin and eyes have gone yellow", "111"),
    ("my poo is black and tarry", "111"),
    ("my poo is black and tarry and i feel dizzy", "999"),
])
def test_life_threatening_is_999_urgent_but_not_is_111(question, call):
    assert assess(question).call == call


def test_not_urgent_has_no_reason_and_no_number():
    assert NOT_URGENT == Urgency(urgent=False)
    assert (NOT_URGENT.flag, NOT_URGENT.reason, NOT_URGENT.call) == (None, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        NOT_URGENT.urgent = True  # type: ignore[misc]


def test_normalise_drops_apostrophes_and_breaks_clauses_at_punctuation():
    assert normalise("He’s  NOT breathing, temp 39.5!") == "hes not breathing | temp 39.5"


def _labelled(part: str) -> list[dict]:
    with open(DATA / f"{part}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_labelled_set_is_big_enough_and_its_parts_do_not_overlap():
    tune, test = _labelled("tune"), _labelled("test")
    rows = tune + test
    assert sum(r["urgent"] for r in rows) >= 60 and sum(not r["urgent"] for r in rows) >= 120
    assert not {r["question"] for r in tune} & {r["question"] for r in test}
    assert all(r["call"] in ("999", "111") for r in rows if r["urgent"])


def test_test_part_meets_the_targets():
    """Every urgent question of the test part flagged; at most one not-urgent one."""
    rows = _labelled("test")
    missed = [r["question"] for r in rows if r["urgent"] and not assess(r["question"]).urgent]
    false_alarms = [r["question"] for r in rows if not r["urgent"] and assess(r["question"]).urgent]
    assert missed == [] and len(false_alarms) <= 1, (missed, false_alarms)


def test_the_benchmark_writes_the_figures(tmp_path):
    spec = importlib.util.spec_from_file_location("urgent_benchmark", REPO / "benchmarks" / "urgent.py")
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    assert benchmark.main(["--out", str(tmp_path / "urgent.json")]) == 0
    report = json.loads((tmp_path / "urgent.json").read_text(encoding="utf-8"))
    assert set(report["parts"]) == {"tune", "test"}
    assert report["parts"]["test"]["meets_targets"] is True


_QUESTIONS = [r["question"] for part in ("tune", "test") for r in _labelled(part)]


@st.composite
def _retyped(draw):
    """A labelled question with its letters' case changed, its spaces widened and punctuation added at the end."""
    question = draw(st.sampled_from(_QUESTIONS))
    flips = draw(st.lists(st.booleans(), min_size=len(question), max_size=len(question)))
    question = "".join(c.upper() if flip else c for c, flip in zip(question, flips))
    spaces = draw(st.sampled_from([" ", "  ", " \t", "\u00a0"]))
    end = draw(st.sampled_from(["", "?", "!!", " ?", "...", " !?"]))
    return question, draw(st.sampled_from(["", " ", "\n"])) + question.replace(" ", spaces) + end


@settings(max_examples=200, deadline=None)
@given(_retyped())
def test_case_whitespace_and_end_punctuation_never_change_the_decision(pair):
    original, retyped = pair
    assert assess(retyped) == assess(original)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_consistent_answer(text):
    found = assess(text)
    assert found.urgent == (found.reason is not None) == (found.call is not None)
