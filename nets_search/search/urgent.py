"""Urgent questions: a question that describes an emergency happening now is told to get help before anything else.

`assess(question)` returns an `Urgency`: whether the question describes a red flag now, the red flag in plain
words ("trouble breathing") and whether it is life-threatening (call 999) or urgent but not (call 111 or the care
team's 24-hour line). It reads only the question, so it holds whether or not our pages cover it. The red flags
themselves (NHS 999/111 advice, triage observations, oncology 24-hour-line triage, carcinoid crisis) are a table
in red_flags.py; this module decides whether a match *describes the flag now* or *asks about it*.

A safety net, not a diagnosis: a match says "this may be an emergency, get help now", never what is wrong, and a
question that describes an emergency in words the table misses is not flagged (the page's standing 999 note stays).
The rules lean towards flagging when a question both describes a red flag now and asks about it ("he can't
breathe, is that normal?").

How: the question is normalised (lower case, no apostrophes, misspellings repaired onto the rules' words) and cut
into clauses at punctuation; a clause is cut again into segments at joining words ("and", "but", "so") so that a
time cue belongs to its own part ("temp of 38.3 | and i had my chemo last week"). A red-flag match counts unless,
in this order of precedence:
1. it is negated just before ("no chest pain", "without a fever");
2. (self-harm only: counts in any framing but "can X cause", "side effects", "signs of");
3. its segment says it is over or still to come — past times ("yesterday", "last week", "back in March", "3 years
   ago", "in 2019"; but "since yesterday" is ongoing), future or fear ("next month", "before my surgery", "I'm
   scared of having", "will they", "in case") — or a later part says it is over ("went away", "gone now", "fine
   now", "it settled"); a "still", "right now", "won't stop" or "getting worse" in its segment overrides these;
4. a now-cue anywhere ("now", "suddenly", "10 minutes ago", "what do I do", "help") makes it count;
5. its clause frames it as a question about it ("what is", "why do", "can X cause", "signs of" before it) or says it
   is habitual ("sometimes", "when I climb stairs", "I get") — then it does not count;
6. otherwise it counts if someone is in the clause ("my dad", "I"), or the question asks about nothing.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz, process

from nets_search.search.red_flags import RED_FLAGS, RedFlag, _re
from nets_search.types import Urgency

MAX_CHARS = 2000  # a search box question; longer text is read up to here
TYPO_CUTOFF = 80  # rapidfuzz ratio a misspelt word must reach to be read as one of the rules' words
MIN_TYPO_LENGTH = 5


NOT_URGENT = Urgency(urgent=False)

_PEOPLE = (r"mum|mom|mam|mummy|mother|dad|daddy|father|husband|hubby|wife|partner|son|daughter|child|kid|baby|"
           r"boy|girl|brother|sister|grandad|grandpa|grandma|gran|granny|nan|nana|friend|patient|neighbour|"
           r"neighbor|aunt|auntie|uncle|boyfriend|girlfriend|fiance|fiancee|carer")
_PERSON = _re(r"i|im|ive|id|me|my|myself|he|hes|him|his|she|shes|her|they|theyre|them|their|we|our|us",
              r"(?:" + _PEOPLE + r")s?")

# A question *about* a red flag: said before the match in its clause.
_ABOUT_BEFORE = _re(r"whats?", r"why", r"how", r"which", r"when (?:should|do|does|to)", r"whenever", r"if",
                    r"is it (?:normal|common|usual|typical|ok|okay|possible)", r"signs?", r"symptoms?", r"risks?",
                    r"chances?", r"history", r"cause[sd]?", r"causing", r"trigger\w*", r"lead to", r"side effects?",
                    r"means?", r"prevent\w*", r"avoid", r"recogni[sz]e", r"spot", r"difference", r"in case",
                    r"makes? (?:it|you|me|people|someone|them)", r"learn", r"explain",
                    r"(?:worried|asking|question|read|information|info|talk|talking) about",
                    r"is (?:that|this|it) (?:normal|common|usual|typical|expected|ok|okay|a side effect)",
                    r"(?:could|can|are|is) (?:they|it|this|that|these) (?:be )?(?:linked|related|connected)",
                    r"(?:what|any) support", r"support (?:for|groups?)", r"should i (?:mention|tell|let)")
# Words that look like an "about" framing but ask for help now ("what do I do", "what's happening to me").
_NOT_ABOUT = re.compile(r"\bwhat (?:do|should|can|shall) (?:i|we) do\b(?! (?:if|when|about))|"
                        r"\bwhat (?:looks?|seems?|appears?|feels?) like\b|"
                        r"\bwhats (?:happening|wrong|going on)\b|\b(?:dont know|not sure|unsure) (?:if|whether)\b|"
                        rf"\bwhy (?:cant|cannot|wont|isnt) (?:{_PERSON.pattern})")
# Said of something that is not happening now (anywhere in the clause).
_NOT_NOW = _re(r"sometimes", r"occasionally", r"always", r"normally", r"now and then", r"often", r"usually",
               r"every (?:time|day|night|morning)", r"in the past", r"these days", r"lately",
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


_SEGMENT_BREAK = re.compile(r"\b(?:and|but|so|then|because|cos|though|although|whereas)\b")
# Said just before a match: it is absent ("no chest pain", "without any fever").
_NEGATED = re.compile(r"\b(?:no|without|never|not had|no sign of|no signs of)(?: any| a)? $")
# Said in the match's segment: it is over (a past time; "since yesterday", "for the last week" are ongoing).
_MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december|christmas|easter"
_OVER = re.compile(
    r"(?<!since )(?<!from )\b(?:yesterday|the day before|(?<!the )last (?:week|month|year|night|time|weekend|summer|"
    rf"winter|spring|autumn|{_MONTHS})|the last time|back in \w+|in (?:19|20)\d\d|"
    r"(?:(?:\d+|an?|one|two|three|four|five|six|few|couple of|several|many) )?(?:days?|weeks?|months?|years?) "
    r"(?:ago|back)|as a (?:child|kid|baby|teenager)|"
    r"when (?:i|he|she|they) (?:was|were) (?:younger|little|small|a child|pregnant)|used to|once before)\b")
# Said in the match's segment: it is still to come, feared or supposed.
_LATER = re.compile(
    r"\b(?:next (?:week|month|year|time|few)|tomorrow|in (?:the )?future|in case|what if|"
    r"(?:scared|terrified|afraid|frightened|worried|nervous|anxious|fear\w*|dread\w*) (?:of|about) "
    r"(?:having|getting|going|him|her|it|a|another|them)|before (?:my|his|her|the|their) (?:next )?"
    r"(?:surgery|operation|op|procedure|scan|treatment|prrt|anaesthetic|appointment|injection|jab)|"
    r"(?:will|might|could|would|can) (?:i|he|she|they|we|you|it|this|that)(?! be having| be in| be going)"
    r"(?! (?:do|help|breathe)\b))\b")
# The time of a treatment, not of the symptom ("temp 38 after my PRRT last week"): blanked before _OVER is read.
_TREATMENT_TIME = re.compile(
    r"\b(?:after|since|following|from) (?:my |his |her |the |their )?(?:\w+ )?(?:chemo\w*|prrt|op|operation|"
    r"surgery|injection|jab|treatment|infusion|scan|procedure|embolisation|biopsy|dose|cycle|tablets) "
    r"(?:last \w+|yesterday|(?:\d+|an?|one|two|three|few|couple of) (?:days?|weeks?) ago)\b")
# Said after a match (anywhere later in the question): what it describes is over.
_RESOLVED = re.compile(
    r"(?<!wont )(?<!not )(?<!doesnt )(?<!didnt )(?<!never )(?<!isnt )(?<!hasnt )(?<!havent )"
    r"\b(?:(?:it|its|has|have|it has|that|this|which|then|but|now|and) (?:stopped|settled|passed|eased|cleared|"
    r"calmed down|went away|wore off|subsided|gone away)|went away|go away|goes away|passed off|wore off|"
    r"back to normal|(?:stopped|settled|gone|fine|better|ok|okay|alright|all right) now)\b")
# Said in the match's segment: it is happening now, whatever else the question says.
_STILL = _re(r"still", r"right now", r"at the moment", r"wont stop", r"getting worse", r"happening now",
             r"(?:\d+|an?|a few|few|couple of) (?:mins?|minutes|hours?) ago")


# Every red flag's words in one pattern: most questions name none, and are done after one search per clause
# (a clause the alternation finds nothing in is one no flag's own pattern matches in).
_ANY_FLAG = re.compile("|".join(f"(?:{flag.pattern.pattern})" for flag in RED_FLAGS))


def assess(question: str) -> Urgency:
    """Whether `question` describes an emergency happening now, and which red flag."""
    text = normalise(question)
    if not any(_ANY_FLAG.search(clause) for clause in text.split(" | ")):
        return NOT_URGENT
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
    if any(not also.search(text) for also in flag.also) or (flag.unless and flag.unless.search(text)):
        return False
    now = _NOW.search(text) is not None
    offset = 0
    for clause in text.split(" | "):
        for match in flag.pattern.finditer(clause):
            if _counts(flag, clause, match.start(), text, offset + match.start(), now):
                return True
        offset += len(clause) + 3
    return False


def _counts(flag: RedFlag, clause: str, start: int, text: str, position: int, now: bool) -> bool:
    """Does the match at `start` of `clause` (`position` in `text`) describe the red flag now, not ask about it?"""
    before = _NOT_ABOUT.sub(lambda m: " " * len(m.group()), clause)[:start]  # same length: offsets hold
    if _NEGATED.search(before):
        return False
    if flag.any_framing:
        return not _TOPIC.search(before)
    segment = _segment(clause, start)
    if not _STILL.search(segment) and (_OVER.search(_TREATMENT_TIME.sub("", segment)) or _LATER.search(segment)
                                       or _RESOLVED.search(text, position + 1)):
        return False
    if now:
        return True
    if _ABOUT_BEFORE.search(before) or _NOT_NOW.search(clause):
        return False
    # No one in the clause ("coughing up blood, what causes it?"): about, if the question asks about anything.
    return _PERSON.search(clause) is not None or not _ABOUT_BEFORE.search(text)


def _segment(clause: str, start: int) -> str:
    """The part of `clause` around `start` between joining words ("and", "but", "so")."""
    cuts = [m.start() for m in _SEGMENT_BREAK.finditer(clause)]
    left = max((c for c in cuts if c <= start), default=0)
    right = min((c for c in cuts if c > start), default=len(clause))
    return clause[left:right]


@lru_cache(maxsize=4096)
def _repair(word: str) -> str:
    word = _WORD_MAP.get(word, word)
    if len(word) < MIN_TYPO_LENGTH or word in _VOCABULARY or not word.isalpha() or word in _english_words():
        return word
    best = process.extractOne(word, _VOCABULARY, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
    return best[0] if best else word


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """The English word list the question analysis loads (query.english_words, loaded once per process), with
    apostrophes dropped as in the normalised question."""
    from nets_search.search.query import english_words

    return frozenset(w.replace("'", "") for w in english_words())
