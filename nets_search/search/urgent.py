"""Urgent questions: a question that describes an emergency happening now is told to get help before anything else.

`assess(question)` returns an `Urgency`: whether the question describes a red flag now, the red flag in plain
words ("trouble breathing") and whether it is life-threatening (call 999) or urgent but not (call 111 or the care
team's 24-hour line). It reads only the question, so it holds whether or not our pages cover it.

Where the red flags come from: the symptoms that the NHS's 999 and 111 advice and emergency-department triage
treat as "get help now" — trouble breathing or blue lips, chest pain or pressure, collapse or not waking, the signs
of a stroke (face, arm, speech), a seizure, heavy bleeding or bringing up blood, black tarry poo, a swelling throat,
tongue or lips, a sudden severe headache or tummy pain, thoughts of suicide or self-harm, a very high temperature
with confusion — and the ones NET care teams tell patients to ring about at once: a carcinoid crisis happening now
(flushing with low blood pressure, wheeze, a racing heart or confusion), a temperature during chemotherapy, a
blocked bowel, a very low blood sugar, severe diarrhoea with dehydration, sudden jaundice, a clot in the leg.

A safety net, not a diagnosis: a match says "this may be an emergency, get help now", never what is wrong, and a
question that describes an emergency in words these rules miss is not flagged (the page's standing 999 note stays).
The rules lean towards flagging when a question both describes a red flag and asks about it.

What it deliberately does not flag: questions *about* a symptom, condition or risk ("what is a carcinoid crisis",
"why do I get short of breath on stairs", "can octreotide cause chest pain?", "what are the signs of a stroke"),
ones that say it happens sometimes or happened in the past ("I had a seizure two years ago"), "what should I do
if ..." questions, bare topic words ("chest pain octreotide"), everyday distress and figures of speech ("this
flushing is killing me", "am I going to die from this?", "I'm sick to death of the diarrhoea"), and symptoms
that are worrying but not urgent on their own (mild breathlessness, some flushing, a little bleeding after a biopsy).

How: the question is normalised (lower case, no apostrophes, misspellings repaired onto the rules' words), cut
into clauses at punctuation, and each red flag is a pattern for the way people *describe* it ("can't breathe").
A match counts unless its clause frames it as a question about it ("what is", "why do", "can X cause", "signs of"
before it; "sometimes", "last year" in it), and a now-cue ("right now", "suddenly", "won't stop", "what do I do")
outweighs that framing. Thoughts of suicide or self-harm count in any framing but "can X cause".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

MAX_CHARS = 2000  # a search box question; longer text is read up to here
TYPO_CUTOFF = 80  # rapidfuzz ratio a misspelt word must reach to be read as one of the rules' words
MIN_TYPO_LENGTH = 5


@dataclass(frozen=True)
class Urgency:
    urgent: bool
    flag: str | None = None  # short name of the red flag matched ("breathing"), for JSON and logs
    reason: str | None = None  # the red flag in plain words ("trouble breathing")
    life_threatening: bool = False  # 999 if true; 111 or the care team if urgent but not

    @property
    def call(self) -> str | None:
        """The number to ring: "999", "111" (or the care team), or None when not urgent."""
        if not self.urgent:
            return None
        return "999" if self.life_threatening else "111"


NOT_URGENT = Urgency(urgent=False)


@dataclass(frozen=True)
class RedFlag:
    name: str
    reason: str
    life_threatening: bool
    pattern: re.Pattern[str]  # how the red flag is described, searched in one clause of the normalised question
    also: re.Pattern[str] | None = None  # must also appear somewhere in the question
    any_framing: bool = False  # counts even in a "what / why / how" framing (suicide and self-harm)


def _re(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


# Building blocks of the patterns (the text they run on has no apostrophes and no punctuation).
_PEOPLE = (r"mum|mom|mam|mummy|mother|dad|daddy|father|husband|hubby|wife|partner|son|daughter|child|kid|baby|"
           r"boy|girl|brother|sister|grandad|grandpa|grandma|gran|granny|nan|nana|friend|patient|neighbour|"
           r"neighbor|aunt|auntie|uncle|boyfriend|girlfriend|fiance|fiancee|carer")
_PERSON = _re(r"i|im|ive|id|me|my|myself|he|hes|him|his|she|shes|her|they|theyre|them|their|we|our|us",
              r"(?:" + _PEOPLE + r")s?")
_BREATHE = r"breath(?:e|es|ing|in)?"
_NOT_ABLE = r"cant|cannot|can not|couldnt|could not|unable to|struggling to|struggles to|struggle to|hard to|" \
            r"difficult to|can hardly|can barely|can only just|trying to|fighting to"
_SEVERE = r"severe|severely|really bad|very bad|bad|terrible|awful|agoni[sz]ing|excruciating|unbearable|crushing|" \
          r"worst|sudden|suddenly|intense|extreme"
_SUDDEN_SEVERE = r"sudden|suddenly|severe|agoni[sz]ing|excruciating|unbearable|worst|crippling|doubled up"
_FLUSH = _re(r"flush\w*", r"(?:went|gone|going|turned|turning|is|looks?) (?:bright |very |really )?(?:red|purple)",
             r"bright red")
_FEVER = (r"(?:high|very high|raging) (?:fever|temperature|temp)",
          r"(?:fever|temperature|temp) (?:of |is |at |was )?(?:3[89]|4[0-2])(?:\.\d)?",
          r"(?:3[89]|4[0-2])(?:\.\d)? ?(?:degrees|c)")
_CONFUSED = r"confused|confusion|not making (?:any )?sense|isnt making (?:any )?sense|talking nonsense|not with it|" \
            r"delirious|cant wake|wont wake|drowsy"

_BLACK_POO = (r"(?:poo|poop|stool|stools|bowel movements?) (?:is |are |has been |have been |)(?:black|tarry)",
              r"black (?:and )?tarry", r"tarry (?:poo|stools?)")

RED_FLAGS: tuple[RedFlag, ...] = (  # in order of preference when several match
    RedFlag("self-harm", "thoughts of suicide or self-harm", True, _re(
        r"(?:want|wanna|wanted|planning|plan|thinking|think|thoughts?|feel like|tempted|ready|going|decided) "
        r"(?:to |about |of )?(?:end(?:ing)? (?:it all|my life|his life|her life|it)|kill(?:ing)? (?:my|him|her)self|"
        r"hurt(?:ing)? (?:my|him|her)self|harm(?:ing)? (?:my|him|her)self|cut(?:ting)? (?:my|him|her)self|"
        r"tak(?:e|ing) (?:all|an overdose)|overdos\w*)",
        r"(?:want|wanna|wish) (?:to die|i was dead|i were dead|to be dead|it to end)",
        r"dont want to (?:be here|live|go on|wake up|be alive)",
        r"(?:cut|hurt|harmed|harming|hurting) (?:my|him|her)self", r"kill(?:ing)? myself", r"end(?:ing)? my life",
        r"suicidal", r"self harm\w*", r"better off (?:dead|without me)", r"no point (?:in )?(?:living|going on)"),
        any_framing=True),
    RedFlag("carcinoid-crisis", "a carcinoid crisis happening now", True, _re(
        r"(?:having|going into|gone into|went into|is in|in the middle of) (?:a )?(?:carcinoid |serotonin )?crisis")),
    RedFlag("carcinoid-crisis", "a carcinoid crisis happening now (flushing with other signs)", True, _re(
        r"heart (?:is )?(?:racing|pounding|going (?:really |very )?fast)", r"racing heart",
        r"(?:blood pressure|bp) (?:is )?(?:very |really |so )?(?:low|dropping|dropped|crashing|falling)",
        r"(?:really|very|so) confused", r"going to (?:pass out|faint|collapse)", r"wheez\w+"), also=_FLUSH),
    RedFlag("breathing", "trouble breathing", True, _re(
        rf"(?:{_NOT_ABLE}) (?:i |he |she |we |they |(?:my|his|her|our) \w+ )?(?:properly |really |even |to )?{_BREATHE}"
        r"(?! (?:through|out of|in through) (?:my|his|her|the|their|your) nose)",
        rf"(?:{_NOT_ABLE}|cant|cannot) (?:catch|get) (?:my|his|her|their|a|any|your) ?(?:breath|air)",
        r"gasping", r"fighting for (?:air|breath)", r"suffocat\w+", r"choking", r"(?:cant|cannot) get (?:any )?air",
        r"(?:not|stopped|isnt|wasnt) breathing", rf"{_BREATHE} (?:really |very |so )?(?:fast|shallow|noisy)",
        r"lips? (?:are |is |have |has )?(?:look |looks |gone |going |turning |turned )?(?:blue|grey|gray)",
        r"blue lips", r"(?:turning|gone|going|turned|went) (?:blue|grey|gray)",
        r"wheez\w* (?:really |very |so )?(?:bad|badly|severely|a lot)")),
    RedFlag("breathing", "sudden breathlessness with a swollen leg (a possible clot)", True,
            _re(r"short of breath", r"breathless", r"out of breath"),
            also=_re(r"(?:leg|calf) (?:is )?swollen", r"swollen (?:leg|calf)")),
    RedFlag("chest-pain", "chest pain or pressure", True, _re(
        r"chest (?:is |feels |feel |feeling )?(?:really |very |so )?(?:tight|heavy|crushing|squeez\w*)",
        rf"(?:{_SEVERE}|sharp|heavy|tight|squeezing) (?:pain )?(?:in )?(?:my |his |her |the )?chest",
        r"pains? (?:in|across) (?:my|his|her|the) chest", r"(?:has|have|having|got) (?:a )?chest pains?",
        r"clutching (?:his|her|my) chest", r"chest (?:really |is )?(?:hurts|hurting)",
        r"chest pains? (?:that )?(?:started|came on|wont|for the last|since)")),
    RedFlag("collapse", "collapsed, unconscious or cannot be woken", True, _re(
        r"collapsed", r"keeled over", r"passed out", r"blacked out", r"fainted", r"unconscious", r"unresponsive",
        r"not (?:responding|responsive)", r"isnt responding", r"(?:wont|doesnt|cant) respond", r"not answering me",
        r"(?:not|wont|cant|cannot|can not) (?:wake|be woken|stay awake)", r"not waking", r"eyes rolled",
        r"found (?:\w+ ){1,2}on the floor", r"gone floppy|went floppy", r"keeps? (?:passing|blacking|fainting)\w*",
        r"(?:is|hes|shes|im) (?:passing|blacking) out")),
    RedFlag("sepsis", "a very high temperature with confusion or drowsiness", True, _re(*_FEVER),
            also=_re(_CONFUSED)),
    RedFlag("confusion", "sudden confusion", True, _re(
        r"(?:really|very|suddenly) confused(?! (?:about|by|with|as to|why|what|how|which|over))",
        r"(?:not|isnt) making (?:any )?sense", r"talking nonsense", r"not with it")),
    RedFlag("stroke", "signs of a stroke (face, arm or speech)", True, _re(
        r"(?:face|mouth|smile) (?:has |is |)(?:gone |dropped|drooping|droopy|drooped|fallen|sagging|lopsided)\w*",
        r"one side of (?:his|her|my|the) (?:face|mouth)", r"having a (?:mini )?stroke",
        r"(?:cant|cannot|unable to) (?:lift|raise|move) (?:my|his|her) (?:right |left )?(?:arm|leg|hand)",
        r"(?:arm|leg|hand|side) (?:has |is |)(?:suddenly |gone |going |really |very )*(?:weak|numb|dead|limp)",
        r"(?:cant|cannot) (?:speak|talk) properly", r"cant get (?:his|her|my|the) words out",
        r"(?:speech|words|talking) (?:is |are |has |have )?(?:gone |went |coming out |come out |going |all )?"
        r"(?:slurred|slurring|funny|wrong|garbled|jumbled|strange|weird)", r"slurr\w+")),
    RedFlag("seizure", "a seizure (fit)", True, _re(
        r"(?:having|had|just had|in the middle of) (?:a )?(?:seizure|fit|convulsion)s?", r"fitting", r"convuls\w+",
        r"seizing", r"shaking all over", r"seizure (?:and )?(?:it )?wont stop")),
    RedFlag("bleeding", "vomiting or coughing up blood", True, _re(
        r"(?:throwing|threw|vomiting|vomited|vomit|being sick|been sick|is sick|coughing|coughed|bringing|"
        r"brought|spitting|puking|puked) (?:up )?(?:lots of |loads of |a lot of |alot of |some |fresh |bright red )*"
        r"blood", r"coffee grounds")),
    RedFlag("bleeding", "heavy bleeding", True, _re(
        r"bleeding (?:very |really |so )?(?:heavily|a lot|alot|badly|loads|lots|everywhere|profusely)",
        r"(?:heavy|lots of|loads of|a lot of|alot of|pints of) (?:bright red |fresh |dark )?(?:bleeding|blood)",
        r"pouring (?:with )?blood", r"haemorrhag\w+", r"blood (?:everywhere|pouring|gushing|spurting)",
        r"wont stop bleeding", r"bleeding (?:and )?(?:it )?(?:wont|doesnt|will not) stop")),
    RedFlag("bleeding", "black, tarry poo with dizziness", True, _re(*_BLACK_POO),
            also=_re(r"dizzy|faint|lightheaded|light headed")),
    RedFlag("bleeding", "black, tarry poo", False, _re(*_BLACK_POO)),
    RedFlag("allergic-reaction", "swelling of the throat, tongue or lips (a severe allergic reaction)", True, _re(
        r"(?:throat|tongue|lips?|mouth) (?:and (?:throat|tongue|lips?|face|mouth) )?(?:is |are |has |have |feels )?"
        r"(?:swelling|swollen|swelled|gone huge|puffing up|puffed up|closing|tight|tightening)",
        r"face (?:is )?(?:swelling|swollen|puffing up|puffed up)",
        r"(?:swelling|swollen) (?:of )?(?:my |his |her |the )?(?:throat|tongue|lips)",
        r"having an? (?:anaphylactic|anaphylaxis|severe allergic)")),
    RedFlag("headache", "a sudden, severe headache", True, _re(
        r"worst headache", r"thunderclap", r"headache (?:that )?(?:came|come|coming) on (?:suddenly|out of nowhere)",
        r"sudden (?:severe |bad |terrible |awful )?headache")),
    RedFlag("abdominal-pain", "sudden, severe tummy pain", True, _re(
        rf"(?:{_SUDDEN_SEVERE}) (?:\w+ ){{0,2}}(?:pain|ache|cramps?) (?:\w+ ){{0,5}}(?:tummy|stomach|belly|abdomen)",
        rf"(?:{_SUDDEN_SEVERE}) (?:\w+ ){{0,2}}(?:tummy|stomach|belly|abdominal) (?:pain|ache|cramps?)",
        r"(?:tummy|stomach|belly|abdominal) (?:pain|ache) (?:that )?(?:came|come|coming) on "
        r"(?:suddenly|out of nowhere)",
        r"(?:tummy|stomach|belly|abdomen) (?:is |feels )?(?:rock hard|hard as a rock)")),
    RedFlag("abdominal-pain", "severe tummy pain going through to the back", False, _re(
        r"pain (?:\w+ ){0,8}(?:going|goes|spreading|radiating|through) (?:through |in)?to (?:my|his|her|the) back"),
            also=_re(r"tummy|stomach|belly|abdomen|abdominal")),
    RedFlag("blocked-bowel", "signs of a blocked bowel", False, _re(
        r"(?:cant|cannot|not been able to|havent been able to|unable to|not) (?:pass|passed|passing) "
        r"(?:wind|gas|anything)", r"cant (?:poo|fart)")),
    RedFlag("fever", "a high temperature (call your care team's 24-hour line if you are on treatment)", False,
            _re(*_FEVER, r"(?:shaking|shivering|shivery) (?:\w+ ){0,4}(?:temp|temperature|fever)")),
    RedFlag("dehydration", "severe diarrhoea or vomiting with signs of dehydration", False, _re(
        r"(?:havent|hasnt|not) (?:peed|weed|had a wee|been for a wee|passed (?:any )?urine)",
        r"cant keep (?:any )?(?:fluids|water|anything|drinks|food) down", r"[1-9]\d times (?:today|a day|since)")),
    RedFlag("jaundice", "sudden yellowing of the skin or eyes", False, _re(
        r"(?:eyes|skin) (?:have |has |)(?:suddenly )?(?:gone|turned|going|turning|are|is|look|looks) "
        r"(?:very |really |bright )?yellow")),
    RedFlag("clot", "a swollen, painful leg (a possible clot)", False,
            _re(r"(?:calf|leg) (?:is |has |has gone |)(?:swollen|red|hot|painful)"), also=_re(r"pain\w*|sore|tender")),
    RedFlag("low-sugar", "a very low blood sugar", False, _re(
        r"(?:blood sugar|sugar|glucose|bm)s?(?: level)? (?:is |of |at |was |reading )?[0-3](?:\.\d)?",
        r"having a hypo", r"(?:is|hes|shes|im|going) hypo")),
    RedFlag("infection", "spreading redness with a temperature", False,
            _re(r"(?:redness|red|swelling) (?:\w+ ){0,3}spreading"), also=_re(r"fever|temperature|temp")),
    RedFlag("asks-999", "asking whether to call an ambulance", True, _re(
        r"(?<!when )(?:should|do|shall) (?:i|we) (?:call|ring|phone|get) (?:an ambulance|999|911|112)")),
)

# A question *about* a red flag: said before the match in its clause.
_ABOUT_BEFORE = _re(r"whats?", r"why", r"how", r"which", r"when (?:should|do|does|to)", r"whenever", r"if",
                    r"is it (?:normal|common|usual|typical|ok|okay|possible)", r"signs?", r"symptoms?", r"risks?",
                    r"chances?", r"history", r"cause[sd]?", r"causing", r"trigger\w*", r"lead to", r"side effects?",
                    r"means?", r"prevent\w*", r"avoid", r"recogni[sz]e", r"spot", r"difference", r"in case",
                    r"makes? (?:it|you|me|people|someone|them)", r"learn", r"explain",
                    r"(?:worried|asking|question|read|information|info|talk|talking) about")
# Words that look like an "about" framing but ask for help now ("what do I do", "what's happening to me").
_NOT_ABOUT = re.compile(r"\bwhat (?:do|should|can|shall) (?:i|we) do\b(?! (?:if|when|about))|"
                        r"\bwhats (?:happening|wrong|going on)\b|\b(?:dont know|not sure|unsure) (?:if|whether)\b|"
                        rf"\bwhy (?:cant|cannot|wont|isnt) (?:{_PERSON.pattern})")
# Said of something that is not happening now (anywhere in the clause).
_NOT_NOW = _re(r"sometimes", r"occasionally", r"now and then", r"every (?:time|day|night|morning)", r"often",
               r"usually", r"last (?:week|month|year|time)", r"(?:days?|weeks?|months?|years?) ago",
               r"in (?:19|20)\d\d", r"in the past", r"used to", r"these days", r"lately",
               r"(?:i|we|you|they) (?:always |often |usually )?get", r"(?:he|she|it) (?:always |often |usually )?gets",
               r"when (?:i|he|she|we|they|you) (?:walk|climb|exercis|go up|run|lie|lay|bend)\w*",
               r"(?:walking|climbing|going) up", r"uphill", r"on exertion")
# Said of something happening now; outweighs both of the above.
_NOW = _re(r"right now", r"now(?! and then)", r"at the moment", r"just now", r"suddenly", r"all of a sudden",
           r"out of nowhere", r"wont stop", r"getting worse",
           r"(?:\d+|an?|a few|few|couple of) (?:mins?|minutes|hours?) ago",
           r"(?:this|since this) (?:morning|afternoon|evening)", r"tonight", r"help me", r"please help",
           r"what (?:do|should|can|shall) (?:i|we) do(?! (?:if|when|about))")
# Framings that always mean "about", even for self-harm ("can this drug cause suicidal thoughts?").
_TOPIC = _re(r"cause[sd]?", r"causing", r"side effects?", r"signs?", r"symptoms?", r"risks?", r"make (?:you|people)")

# Misspellings typed on a phone are repaired onto these words when they are in no English word list.
_VOCABULARY = ("unconscious", "unresponsive", "breathing", "breathe", "seizure", "seizures", "collapsed",
               "vomiting", "vomited", "bleeding", "swelling", "swollen", "headache", "temperature", "confused",
               "carcinoid", "crisis", "suicidal", "suicide", "ambulance", "stomach", "diarrhoea", "choking",
               "gasping", "wheezing", "fainted", "drooping", "slurred", "tongue", "throat", "chest", "pressure",
               "shivering", "lightheaded", "responding", "coughing", "throwing", "unbearable", "excruciating",
               "agonising", "struggling", "convulsing", "fitting", "suffocating", "tightness", "myself",
               "himself", "herself", "breathless", "pouring", "tarry")
# US spellings and phone shorthand, folded before matching.
_WORD_MAP = {"diarrhea": "diarrhoea", "diarhea": "diarrhoea", "diarea": "diarrhoea", "hemorrhage": "haemorrhage",
             "hemorrhaging": "haemorrhaging", "u": "you", "ur": "your", "pls": "please", "plz": "please",
             "cud": "could", "wud": "would", "coz": "because", "cos": "because", "abt": "about", "bc": "because",
             "brething": "breathing", "breathin": "breathing", "cnt": "cant", "dnt": "dont", "unconcious":
             "unconscious", "concious": "conscious", "siezure": "seizure", "siezures": "seizures"}
_CLAUSE_END = re.compile(r"[!?;:\n]+|[.,](?!\d)")
_NOT_WORD = re.compile(r"[^\w.]+|_+")


def assess(question: str) -> Urgency:
    """Whether `question` describes an emergency happening now, and which red flag."""
    text = normalise(question)
    found = [flag for flag in RED_FLAGS if _describes(flag, text)]
    if not found:
        return NOT_URGENT
    flag = next((f for f in found if f.life_threatening), found[0])
    return Urgency(urgent=True, flag=flag.name, reason=flag.reason, life_threatening=flag.life_threatening)


def normalise(question: str) -> str:
    """Lower case, apostrophes out ("can't" -> "cant"), punctuation as clause breaks ("|"), words repaired."""
    text = unicodedata.normalize("NFKC", question[:MAX_CHARS]).lower()
    text = re.sub(r"['’‘`´]", "", text)
    clauses = []
    for clause in _CLAUSE_END.split(text):
        words = _NOT_WORD.sub(" ", clause).replace(" .", " ").split()
        words = [_repair(w.strip(".")) for w in words if w.strip(".")]
        if words:
            clauses.append(" ".join(words))
    return " | ".join(clauses)


def _describes(flag: RedFlag, text: str) -> bool:
    if flag.also is not None and not flag.also.search(text):
        return False
    now = _NOW.search(text) is not None
    for clause in text.split(" | "):
        for match in flag.pattern.finditer(clause):
            if _counts(flag, clause, match.start(), text, now):
                return True
    return False


def _counts(flag: RedFlag, clause: str, start: int, text: str, now: bool) -> bool:
    """Does this match describe the red flag now, rather than ask about it?"""
    before = _NOT_ABOUT.sub(lambda m: " " * len(m.group()), clause)[:start]  # same length: offsets hold
    if flag.any_framing:
        return not _TOPIC.search(before)
    if now:
        return True
    if _ABOUT_BEFORE.search(before) or _NOT_NOW.search(clause):
        return False
    # No one in the clause ("coughing up blood, what causes it?"): about, if the question asks about anything.
    return _PERSON.search(clause) is not None or not _ABOUT_BEFORE.search(text)


@lru_cache(maxsize=4096)
def _repair(word: str) -> str:
    word = _WORD_MAP.get(word, word)
    if len(word) < MIN_TYPO_LENGTH or word in _VOCABULARY or not word.isalpha() or word in _english_words():
        return word
    best = process.extractOne(word, _VOCABULARY, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
    return best[0] if best else word


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """pyspellchecker's English word list, apostrophes dropped as in the normalised question."""
    from spellchecker import SpellChecker

    return frozenset(w.replace("'", "") for w in SpellChecker(distance=1).word_frequency.dictionary)
