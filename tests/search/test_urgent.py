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
    # Red flags added with the independent set (red_flags.py): each described now, and asked about.
    ("heart-rate", "my pulse is 172 and i feel faint", "is a heart rate of 150 dangerous"),
    ("heart-rate", "heart has been pounding and skipping for the past two hours",
     "i get palpitations sometimes, is that normal"),
    ("breathing", "his oxygen sats are 87 on the finger monitor", "what should my oxygen sats be"),
    ("blood-pressure", "bp is 76/40 and she is clammy", "does sunitinib raise blood pressure"),
    ("fever", "feeling hot and shivery, I'm on temozolomide",
     "what should i do if my temperature goes over 38 on chemo"),
    ("fever", "temperature of 38.4 a week after my PRRT", "what temperature counts as a fever after PRRT"),
    ("spinal-cord", "my legs have gone numb and wobbly and my back is agony, i have mets in my spine",
     "can bone mets in the spine cause leg weakness"),
    ("bleeding", "he's throwing up what looks like coffee grounds", "what does coffee ground vomit mean"),
    ("bleeding", "there's blood in his sick", "can a stomach NET make you vomit blood"),
    ("chest-pain", "crushing pressure on my chest for 15 minutes", "is crushing chest pain always a heart attack"),
    ("overdose", "she has taken too many of her oxycodone tablets and is very drowsy",
     "what happens if you take too much creon"),
    ("blocked-bowel", "not had a poo or passed wind for 4 days and keep vomiting",
     "how long can you go without a poo on lanreotide"),
    ("dehydration", "hardly had a wee all day and diarrhoea 15 times today", "how much should i drink with diarrhoea"),
    ("infection", "the port site is red and oozing and i have a temperature", "how do i look after my port"),
    ("carcinoid-crisis", "started flushing straight after the anaesthetic and she feels faint",
     "can an anaesthetic trigger a carcinoid crisis"),
]

# Time and framing families: the same red flag described now, and said to be over, still to come or asked about.
TIMING = [
    ("over: yesterday", "my husband collapsed and isn't responding", "my husband collapsed yesterday at the shops"),
    ("over: last week", "I have crushing chest pain", "I had crushing chest pain last week, should I tell my GP"),
    ("over: back in", "she is having a seizure", "she had a seizure back in march, can she still drive"),
    ("over: years ago", "he has fainted", "he fainted 3 years ago, could it have been an insulinoma"),
    ("over: gone now", "coughing up blood this morning", "coughing up blood this morning but it's stopped now"),
    ("over: fine now", "i was really confused after my scan and can't think straight",
     "i was really confused after my scan but i'm fine now"),
    ("over: went away", "chest pain going down my arm", "chest pain going down my arm that went away by itself"),
    ("future: next month", "dad is having a carcinoid crisis", "dad is scared of having a carcinoid crisis next month"),
    ("future: before surgery", "she is having a carcinoid crisis",
     "what will they do before my surgery in case i have a carcinoid crisis"),
    ("future: will", "my daughter is having a fit", "will my daughter have a fit during the scan"),
    ("about: linked", "he is having a seizure right now",
     "my husband had a seizure in 2019 and now has a NET, could they be linked"),
    ("about: support", "my wife is having a carcinoid crisis",
     "what support is there for someone who has had a carcinoid crisis"),
]


@pytest.mark.parametrize("flag, describing, about", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_describing_a_red_flag_is_urgent_asking_about_it_is_not(flag, describing, about):
    found = assess(describing)
    assert found.urgent and found.flag == flag and found.reason
    assert assess(about) == NOT_URGENT


@pytest.mark.parametrize("family, now, not_now", TIMING, ids=[t[0] for t in TIMING])
def test_time_and_framing_cues_separate_now_from_over_future_and_about(family, now, not_now):
    assert assess(now).urgent
    assert assess(not_now) == NOT_URGENT


@pytest.mark.parametrize("question", [
    "had chest pain this morning and it's still there",  # "still" outweighs a time that sounds over
    "he collapsed last night and still won't wake properly",
    "temp 38 after PRRT last week",  # the time of the treatment, not of the temperature
    "pain in my chest that won't go away",  # "won't go away" is not over
    "my heart rate is 165 and he's dizzy, no chest pain",  # a negated symptom does not cancel the others
])
def test_cues_that_look_over_but_are_not(question):
    assert assess(question).urgent


@pytest.mark.parametrize("question", [
    "no chest pain, just some flushing after dinner",  # negated
    "flushing and feeling a bit dizzy after my jab, is this normal",  # mild
    "my legs feel weak after the operation, is that normal",  # no spine, no back pain
    "bp was 150/95 today, should I let my team know",  # not in the danger range
])
def test_negated_mild_and_in_range_are_not_urgent(question):
    assert assess(question) == NOT_URGENT


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
    ("i've got a temperature of 38.2 and i'm on capecitabine", "111"),  # neutropenic sepsis: the 24-hour line
    ("both legs suddenly weak and numb, i have cancer in my spine", "999"),
    ("my pulse is 160 and i feel faint", "999"),
    ("my heart has been racing for the last hour and won't settle", "111"),
    ("sats are 85 and he's grey", "999"),
    ("he took a whole packet of paracetamol", "111"),
    ("he took a whole packet of paracetamol and now he won't wake up", "999"),
    ("bp 210/125 and the worst headache", "999"),
    ("flushing and wheezing on and off all afternoon", "111"),  # mild: the care team, not an ambulance
    ("flushing and wheezing badly after the injection", "999"),
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


def test_independent_set_is_split_into_halves_that_do_not_overlap():
    tune, test = _labelled("independent-tune"), _labelled("independent-test")
    assert (len(tune), sum(r["urgent"] for r in tune)) == (68, 23)
    assert (len(test), sum(r["urgent"] for r in test)) == (67, 22)
    assert not {r["id"] for r in tune} & {r["id"] for r in test}
    assert all(r["call"] in ("999", "111") for r in tune + test if r["urgent"])


def _figures(part: str) -> tuple[int, int, int]:
    """Urgent flagged, not-urgent flagged, flagged urgent given the labelled number."""
    rows = _labelled(part)
    verdicts = [(r, assess(r["question"])) for r in rows]
    return (sum(r["urgent"] and v.urgent for r, v in verdicts),
            sum(not r["urgent"] and v.urgent for r, v in verdicts),
            sum(r["urgent"] and v.urgent and v.call == r["call"] for r, v in verdicts))


# What docs/urgent.json reports for the independent-test part (22 urgent, 45 not), measured once with the rules
# final: short of the targets (4 missed, 2 false alarms); a later change may improve on these, never lose them.
INDEPENDENT_TEST_FLAGGED, INDEPENDENT_TEST_FALSE_ALARMS, INDEPENDENT_TEST_RIGHT_NUMBER = 18, 2, 16


def test_independent_test_part_is_at_least_as_good_as_reported():
    """The held-out independent part (read only after the rules were final) keeps the figures in docs/urgent.json."""
    flagged, false_alarms, right_number = _figures("independent-test")
    assert flagged >= INDEPENDENT_TEST_FLAGGED, flagged
    assert false_alarms <= INDEPENDENT_TEST_FALSE_ALARMS, false_alarms
    assert right_number >= INDEPENDENT_TEST_RIGHT_NUMBER, right_number


def test_independent_tune_part_meets_the_targets():
    urgent = sum(r["urgent"] for r in _labelled("independent-tune"))
    flagged, false_alarms, _ = _figures("independent-tune")
    assert flagged == urgent and false_alarms <= 1, (flagged, false_alarms)


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
    assert set(report["parts"]) == {"tune", "test", "independent-tune", "independent-test"}
    assert report["tuned_on"] == ["tune", "independent-tune"]
    assert report["parts"]["test"]["meets_targets"] is True
    figures = report["parts"]["independent-test"]
    assert (figures["urgent_flagged"], figures["not_urgent_flagged"], figures["right_number"]) == _figures(
        "independent-test")


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


def test_the_one_search_for_every_flag_finds_what_each_flag_finds() -> None:
    """assess() looks for every red flag's words with one alternation before reading the flags one by one; that is
    exact only while the flags' patterns share their regex flags and hold no groups (a group would renumber, a
    different flag would be lost in the join), and only if every flag's own words pass it."""
    from nets_search.search import urgent
    from nets_search.search.red_flags import RED_FLAGS

    assert {flag.pattern.flags for flag in RED_FLAGS} == {urgent._ANY_FLAG.flags}
    assert all(flag.pattern.groups == 0 for flag in RED_FLAGS)
    for flag in RED_FLAGS:
        assert urgent._ANY_FLAG.pattern.count(f"(?:{flag.pattern.pattern})") >= 1, flag.name
