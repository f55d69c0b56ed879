"""The red-flag table read by nets_search.search.urgent: how people *describe* each emergency, and which number.

Each `RedFlag` is a pattern searched in one clause of the normalised question (lower case, no apostrophes, no
punctuation: "75/40" reads "75 40", "88%" reads "88"), words that must also appear somewhere in the question
(`also`, every one of them), words that make it urgent-but-not-life-threatening instead (`unless`: the 999 entry
gives way to a 111 entry below it), and whether it is life-threatening (999) or urgent but not (111 or the care
team's 24-hour line). Whether a match describes the red flag *now* rather than asks about it is urgent.py's job.

Where they come from (clinical knowledge, not our question files):
- NHS 999 advice: trouble breathing, blue or grey lips, chest pain or pressure (crushing, heavy, spreading to the
  arm or jaw), collapse or not waking, stroke (face, arms, speech), a seizure, heavy bleeding or bringing up blood,
  a swelling throat, sudden severe headache or tummy pain, thoughts of suicide, taking too much medicine with
  drowsiness or slow breathing, black tarry poo with dizziness (a bleed with shock).
- NHS 111 advice: a temperature with shivering, a swollen painful calf, yellow skin or eyes, not able to keep
  fluids down with little wee, no poo or wind with vomiting (a blocked bowel), palpitations that do not settle.
- Observations that triage scores (NEWS2) treat as red: a pulse of 150 or more (999 with faintness or chest pain),
  oxygen saturation 92% or less, a systolic blood pressure under 90 with symptoms or of 180 or more.
- Oncology 24-hour lines (UKONS triage): a temperature of 38 or more, or feeling hot and shivery, during
  chemotherapy, PRRT or targeted drugs (neutropenic sepsis); new leg weakness or numbness or not passing urine with
  back pain or a spine cancer (spinal cord compression, an emergency); a hot, swollen injection site or line with
  fever. NET teams add a carcinoid crisis: flushing with low blood pressure, wheeze, a racing heart, confusion or
  faintness, above all just after an injection, an anaesthetic or a procedure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class RedFlag:
    name: str
    reason: str
    life_threatening: bool
    pattern: re.Pattern[str]  # how the red flag is described, searched in one clause of the normalised question
    also: tuple[re.Pattern[str], ...] = ()  # each must also appear somewhere in the question
    unless: re.Pattern[str] | None = None  # if this appears, the entry stands aside (a milder entry follows)
    any_framing: bool = False  # counts even in a "what / why / how" framing (suicide and self-harm)


def _re(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


# Building blocks.
_BREATHE = r"breath(?:e|es|ing|in)?"
_NOT_ABLE = r"cant|cannot|can not|couldnt|could not|unable to|struggling to|struggles to|struggle to|hard to|" \
            r"difficult to|can hardly|can barely|can only just|trying to|fighting to"
_SEVERE = r"severe|severely|really bad|very bad|bad|terrible|awful|agoni[sz]ing|excruciating|unbearable|crushing|" \
          r"worst|sudden|suddenly|intense|extreme"
_SUDDEN_SEVERE = r"sudden|suddenly|severe|agoni[sz]ing|excruciating|unbearable|worst|crippling|doubled up"
_FLUSH = _re(r"flush\w*", r"(?:went|gone|going|turned|turning|is|looks?) (?:bright |very |really )?(?:red|purple)",
             r"bright red")
_FEVER = (r"(?:high|very high|raging) (?:fever|temperature|temp)",
          r"(?:fever|temperature|temp) (?:of |is |at |was |up to |reading )?(?:3[89]|4[0-2])(?:\.\d)?",
          r"(?:3[89]|4[0-2])(?:\.\d)? ?(?:degrees|c)")
_FEVERISH = _re(r"fever\w*", r"temperature", r"temp", r"shiver\w*", r"shivery", r"rigors", r"hot and cold")
_CONFUSED = r"confused|confusion|not making (?:any )?sense|isnt making (?:any )?sense|talking nonsense|not with it|" \
            r"delirious|cant wake|wont wake|drowsy"
_FAINT = _re(r"faint\w*", r"dizzy", r"lightheaded|light headed", r"(?:pass|passing) out", r"(?<!no )chest pain",
             r"short of breath|breathless", r"confused", r"clammy", r"collaps\w*")
# Cancer treatment that lowers the white cells (a temperature on it is neutropenic sepsis until shown otherwise).
_ON_TREATMENT = _re(r"chemo\w*", r"capecitabine|temozolomide|cisplatin|carboplatin|etoposide|streptozo\w+|5fu|folfo\w+",
                    r"capox|capetem", r"prrt|lutetium|lutathera|lu ?177", r"everolimus|sunitinib|afinitor|sutent",
                    r"cancer treatment")
_DROWSY = _re(r"drowsy|sleepy|cant wake|wont wake|not waking|unresponsive|not responding|confused",
              r"(?:slow|shallow) breathing|breathing (?:really |very )?(?:slow|shallow)", r"cant stay awake")
_BLACK_POO = (r"(?:poo|poop|stool|stools|bowel movements?) (?:is |are |has been |have been |)(?:black|tarry)",
              r"black (?:and )?tarry", r"tarry (?:poo|stools?)")
_RACING = r"hearts? (?:\w+ ){0,3}(?:flutter\w*|skipp\w*|racing|pounding|thumping|banging|jumping|all over the place|" \
          r"going (?:really |very |so )?fast|beating (?:really |very |so )?fast|irregular)"
_LASTING = _re(r"for (?:the )?(?:past|last) (?:\w+ )?(?:mins?|minutes|hours?)", r"for (?:over )?(?:an?|\d+) (?:hours?)",
               r"all (?:day|night|morning|afternoon|evening)", r"wont (?:stop|settle|slow down)", r"non ?stop")
_PULSE = r"(?:heart rate|heartrate|pulse|hr|heart)(?: rate)?(?: is| of| at| was| has been| been| reading| up to| over)*"
_BP = r"(?:bp|blood pressure)(?: is| of| at| was| has been| reading| down to| dropped to| only| just)*"
_MILD = _re(r"on and off", r"a bit", r"a little", r"slightly", r"mild(?:ly)?")
_SPINE = _re(r"back", r"spine|spinal", r"vertebra\w*", r"bone mets")
_SICK = _re(r"(?:being |been |keep being |keeps being )sick", r"vomit\w*", r"throwing up|threw up")

RED_FLAGS: tuple[RedFlag, ...] = (  # in order of preference when several match
    RedFlag("self-harm", "thoughts of suicide or self-harm", True, _re(
        r"(?:want|wanna|wanted|planning|plan|thinking|think|thoughts?|feel like|tempted|ready|going|decided) "
        r"(?:to |about |of )?(?:end(?:ing)? (?:it all|my life|his life|her life|it)|kill(?:ing)? (?:my|him|her)self|"
        r"hurt(?:ing)? (?:my|him|her)self|harm(?:ing)? (?:my|him|her)self|cut(?:ting)? (?:my|him|her)self|"
        r"tak(?:e|ing) (?:all|an overdose)|overdos\w*)",
        r"(?:want|wanna|wish) (?:to die|i was dead|i were dead|to be dead|it to end)",
        r"dont want to (?:be here|live|go on|wake up|be alive)",
        r"(?:cut|hurt|harmed|harming|hurting) (?:my|him|her)self(?! (?:shaving|cooking|on|with a knife while))",
        r"kill(?:ing)? myself", r"end(?:ing)? my life",
        r"suicidal", r"self harm\w*", r"better off (?:dead|without me)", r"no point (?:in )?(?:living|going on)"),
        any_framing=True),
    RedFlag("carcinoid-crisis", "a carcinoid crisis happening now", True, _re(
        r"(?:having|going into|gone into|went into|is in|in the middle of) (?:a )?(?:carcinoid |serotonin )?crisis")),
    RedFlag("carcinoid-crisis", "a carcinoid crisis happening now (flushing with other signs)", True, _re(
        r"heart (?:is )?(?:racing|pounding|going (?:really |very )?fast)", r"racing heart",
        r"(?:blood pressure|bp) (?:is )?(?:very |really |so )?(?:low|dropping|dropped|crashing|falling)",
        r"(?:really|very|so) confused", r"going to (?:pass out|faint|collapse)", r"wheez\w+"),
        also=(_FLUSH,), unless=_MILD),
    RedFlag("carcinoid-crisis", "flushing with faintness just after an injection or procedure (a possible crisis)",
            True, _re(r"(?:feel|feels|feeling|is|hes|shes|im|very|really|so) (?:faint|dizzy|lightheaded|light headed)"),
            also=(_FLUSH, _re(r"(?:after|since|during) (?:the|my|his|her|their) (?:\w+ )?(?:injection|jab|op|"
                              r"operation|surgery|procedure|anaesthetic|embolisation|biopsy|scan|prrt|infusion)")),
            unless=_MILD),
    RedFlag("breathing", "trouble breathing", True, _re(
        rf"(?:{_NOT_ABLE}) (?:i |he |she |we |they |(?:my|his|her|our) \w+ )?(?:properly |really |even |to )?{_BREATHE}"
        r"(?! (?:through|out of|in through) (?:my|his|her|the|their|your) nose)",
        rf"(?:{_NOT_ABLE}|cant|cannot) (?:catch|get) (?:my|his|her|their|a|any|your) ?(?:breath|air)",
        r"gasping", r"fighting for (?:air|breath)", r"suffocat\w+", r"choking", r"(?:cant|cannot) get (?:any )?air",
        r"(?:not|stopped|isnt|wasnt) breathing", rf"{_BREATHE} (?:really |very |so )?(?:fast|shallow|noisy)",
        r"lips? (?:are |is |have |has )?(?:look |looks |gone |going |turning |turned )?(?:blue|grey|gray)",
        r"blue lips", r"(?:turning|gone|going|turned|went) (?:blue|grey|gray)",
        r"wheez\w* (?:really |very |so )?(?:bad|badly|severely|a lot)")),
    RedFlag("breathing", "low oxygen level", True, _re(
        r"(?:sats?|saturations?|oxygen|o2|spo2|oximeter)(?: levels?| sats)?(?: is| are| of| at| was| were| says| only|"
        r" reading| showing| down to| dropped to| dropping to)* (?:[5-8]\d|9[0-2])(?! \d)")),
    RedFlag("breathing", "sudden breathlessness with a swollen leg (a possible clot)", True,
            _re(r"short of breath", r"breathless", r"out of breath"),
            also=(_re(r"(?:leg|calf) (?:is )?swollen", r"swollen (?:leg|calf)"),)),
    RedFlag("chest-pain", "chest pain or pressure", True, _re(
        r"chest (?:is |feels |feel |feeling )?(?:really |very |so )?(?:tight|heavy|crushing|squeez\w*)",
        rf"(?:{_SEVERE}|sharp|heavy|tight|squeezing) (?:pain |pressure |weight |tightness )?(?:in |on |across )?"
        r"(?:my |his |her |the )?chest",
        r"(?:pains?|pressure|weight|tightness|heaviness) (?:in|on|across) (?:my|his|her|the) chest",
        r"(?:has|have|having|had|got) (?:a )?chest pains?", r"(?:sitting|sat|standing|stood) on (?:my|his|her) chest",
        r"clutching (?:his|her|my) chest", r"chest (?:really |is )?(?:hurts|hurting)",
        r"chest pains? (?:that )?(?:started|came on|wont|for the last|since|going|spreading)")),
    RedFlag("collapse", "collapsed, unconscious or cannot be woken", True, _re(
        r"collapsed", r"keeled over", r"passed out", r"blacked out", r"fainted", r"unconscious", r"unresponsive",
        r"not (?:responding|responsive)", r"isnt responding", r"(?:wont|doesnt|cant) respond", r"not answering me",
        r"(?:not|wont|cant|cannot|can not) (?:wake|be woken|stay awake)", r"not waking", r"eyes rolled",
        r"found (?:\w+ ){1,2}on the floor", r"gone floppy|went floppy", r"keeps? (?:passing|blacking|fainting)\w*",
        r"(?:is|hes|shes|im) (?:passing|blacking) out")),
    RedFlag("overdose", "too much medicine taken, with drowsiness or slow breathing", True, _re(
        r"(?:taken|took|had|swallowed|given|gave|eaten|ate) (?:\w+ ){0,3}(?:too many|too much|an overdose|"
        r"(?:a )?whole (?:packet|bottle|box|strip)|all (?:of )?(?:my|his|her|the|their) (?:tablets|pills|meds))",
        r"overdosed"), also=(_DROWSY,)),
    RedFlag("overdose", "too much medicine taken", False, _re(
        r"(?:taken|took|had|swallowed|given|gave|eaten|ate) (?:\w+ ){0,3}(?:too many|too much|an overdose|"
        r"(?:a )?whole (?:packet|bottle|box|strip)|all (?:of )?(?:my|his|her|the|their) (?:tablets|pills|meds))",
        r"overdosed")),
    RedFlag("sepsis", "a very high temperature with confusion or drowsiness", True, _re(*_FEVER),
            also=(_re(_CONFUSED),)),
    RedFlag("confusion", "sudden confusion", True, _re(
        r"(?:really|very|suddenly) confused(?! (?:about|by|with|as to|why|what|how|which|over))",
        r"(?:not|isnt) making (?:any )?sense", r"talking nonsense", r"not with it")),
    RedFlag("spinal-cord", "leg weakness, numbness or not passing urine with back pain (spinal cord pressure)", True,
            _re(r"(?:both |my |his |her )?legs? (?:\w+ ){0,3}(?:weak|numb|dead|giving way|gave way|give way|wobbly)",
                r"(?:cant|cannot|unable to|not able to) (?:walk|stand|feel (?:my|his|her) legs|pee|wee|pass urine|"
                r"empty (?:my|his|her) bladder)"),
            also=(_SPINE,)),
    RedFlag("stroke", "signs of a stroke (face, arm or speech)", True, _re(
        r"(?:face|mouth|smile) (?:has |is |)(?:gone |dropped|drooping|droopy|drooped|fallen|sagging|lopsided)\w*",
        r"one side of (?:his|her|my|the) (?:face|mouth)", r"having a (?:mini )?stroke",
        r"(?:cant|cannot|unable to) (?:lift|raise|move) (?:my|his|her) (?:right |left )?(?:arm|leg|hand)",
        r"(?:arm|leg|hand|side) (?:has |is |)(?:suddenly |gone |going |really |very )*(?:weak|numb|dead|limp)",
        r"(?:arm|leg|hand)s? (?:and (?:my |his |her )?(?:arm|leg|hand|face)s? )?(?:has |have |is |are )?"
        r"(?:suddenly )?(?:gone|going|went) (?:\w+ )?(?:weak|numb|dead|limp)",
        r"(?:cant|cannot) (?:speak|talk) properly", r"cant get (?:his|her|my|the) words out",
        r"(?:speech|words|talking) (?:is |are |has |have )?(?:gone |went |coming out |come out |going |all )?"
        r"(?:slurred|slurring|funny|wrong|garbled|jumbled|strange|weird)", r"slurr\w+")),
    RedFlag("seizure", "a seizure (fit)", True, _re(
        r"(?:having|had|just had|in the middle of) (?:a )?(?:seizure|fit|convulsion)s?", r"fitting", r"convuls\w+",
        r"seizing", r"shaking all over", r"seizure (?:and )?(?:it )?wont stop")),
    RedFlag("bleeding", "vomiting or coughing up blood", True, _re(
        r"(?:throwing|threw|vomiting|vomited|vomit|being sick|been sick|is sick|coughing|coughed|bringing|"
        r"brought|spitting|puking|puked) (?:up )?(?:lots of |loads of |a lot of |alot of |some |fresh |bright red )*"
        r"blood", r"coffee grounds", r"(?:sick|vomit|puke) (?:with|has|had|full of|is|was) (?:\w+ )?(?:blood|bloody)",
        r"blood in (?:the |his |her |my )?(?:sick|vomit)", r"bloody (?:sick|vomit)")),
    RedFlag("bleeding", "heavy bleeding", True, _re(
        r"bleeding (?:very |really |so )?(?:heavily|a lot|alot|badly|loads|lots|everywhere|profusely)",
        r"(?:heavy|lots of|loads of|a lot of|alot of|pints of) (?:bright red |fresh |dark )?(?:bleeding|blood)",
        r"(?:pouring|pumping|spurting|gushing) (?:out )?(?:with )?blood", r"haemorrhag\w+",
        r"blood (?:everywhere|pouring|gushing|spurting|pumping)",
        r"wont stop bleeding", r"bleeding (?:and )?(?:it )?(?:wont|doesnt|will not) stop")),
    RedFlag("bleeding", "black, tarry poo with dizziness", True, _re(*_BLACK_POO),
            also=(_re(r"dizzy|faint|lightheaded|light headed"),)),
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
    RedFlag("heart-rate", "a very fast pulse with faintness, chest pain or breathlessness", True, _re(
        rf"{_PULSE} (?:1[5-9]\d|2\d\d)", r"(?:1[5-9]\d|2\d\d) ?bpm", rf"{_PULSE} (?:[12]\d|3\d)(?! \d)"),
            also=(_FAINT,)),
    RedFlag("blood-pressure", "a very low or very high blood pressure with symptoms", True, _re(
        rf"{_BP} (?:[4-8]\d)(?: over)? \d{{2,3}}", rf"{_BP} (?:1[89]\d|2\d\d)(?: over)? \d{{2,3}}"),
            also=(_re(r"dizzy|faint\w*|confused|clammy|flush\w*|drowsy|headache|chest pain|blurred|vision|pale"),)),
    RedFlag("heart-rate", "a very fast or fluttering heartbeat that will not settle", False, _re(
        rf"{_PULSE} (?:1[5-9]\d|2\d\d)", r"(?:1[5-9]\d|2\d\d) ?bpm", _RACING), also=(_LASTING,)),
    RedFlag("blood-pressure", "a very low or very high blood pressure", False, _re(
        rf"{_BP} (?:[4-8]\d)(?: over)? \d{{2,3}}", rf"{_BP} (?:1[89]\d|2\d\d)(?: over)? \d{{2,3}}",
        rf"{_BP} \d{{2,3}}(?: over)? (?:1[2-9]\d)")),
    RedFlag("carcinoid-crisis", "flushing with wheeze, a racing heart or low blood pressure", False, _re(
        r"heart (?:is )?(?:racing|pounding|going (?:really |very )?fast)", r"racing heart",
        r"(?:blood pressure|bp) (?:is )?(?:very |really |so )?(?:low|dropping|dropped|crashing|falling)",
        r"going to (?:pass out|faint|collapse)", r"wheez\w+"), also=(_FLUSH,)),
    RedFlag("abdominal-pain", "severe tummy pain going through to the back", False, _re(
        r"pain (?:\w+ ){0,8}(?:going|goes|spreading|radiating|through) (?:through |in)?to (?:my|his|her|the) back"),
            also=(_re(r"tummy|stomach|belly|abdomen|abdominal"),)),
    RedFlag("blocked-bowel", "signs of a blocked bowel", False, _re(
        r"(?:cant|cannot|not been able to|havent been able to|unable to|not) (?:pass|passed|passing) "
        r"(?:wind|gas|anything)", r"cant (?:poo|fart)",
        r"(?:havent|hasnt|not|no) (?:\w+ ){0,4}(?:passed|passing) (?:wind|gas)")),
    RedFlag("blocked-bowel", "no poo for days with vomiting (a possible blocked bowel)", False, _re(
        r"(?:havent|hasnt|not|no) (?:\w+ ){0,2}(?:pooed|pooped|had a poo|been for a poo|opened (?:my|his|her) bowels|"
        r"had a bowel movement)"), also=(_SICK, _re(r"days?"))),
    RedFlag("fever", "a high temperature (call your care team's 24-hour line if you are on treatment)", False,
            _re(*_FEVER, r"(?:shaking|shivering|shivery) (?:\w+ ){0,4}(?:temp|temperature|fever)")),
    RedFlag("fever", "a temperature or shivering during cancer treatment (call the care team's 24-hour line)", False,
            _re(r"(?:got|have|has|running|spiked|with|feel|feeling|felt|am|im|is|hes|shes) (?:a |really |very )?"
                r"(?:temperature|temp|fever|feverish|shivery|shivering|hot|hot and cold|rigors)"),
            also=(_ON_TREATMENT,)),
    RedFlag("dehydration", "severe diarrhoea or vomiting with signs of dehydration", False, _re(
        r"(?:havent|hasnt|not|hardly|barely) (?:\w+ ){0,2}"
        r"(?:peed|weed|had a wee|been for a wee|passed (?:any |much )?urine)",
        r"cant keep (?:any )?(?:fluids|water|anything|drinks|food) down", r"[1-9]\d times (?:today|a day|since)")),
    RedFlag("jaundice", "sudden yellowing of the skin or eyes", False, _re(
        r"(?:eyes|skin) (?:have |has |)(?:suddenly )?(?:gone|turned|going|turning|are|is|look|looks) "
        r"(?:very |really |bright )?yellow")),
    RedFlag("clot", "a swollen, painful leg (a possible clot)", False,
            _re(r"(?:calf|leg) (?:is |has |has gone |)(?:swollen|red|hot|painful)"),
            also=(_re(r"pain\w*|sore|tender"),)),
    RedFlag("low-sugar", "a very low blood sugar", False, _re(
        r"(?:blood sugar|sugar|glucose|bm)s?(?: level)? (?:is |of |at |was |reading )?[0-3](?:\.\d)?",
        r"having a hypo", r"(?:is|hes|shes|im|going) hypo")),
    RedFlag("infection", "a hot, red or swollen wound, injection site or line with a temperature", False,
            _re(r"(?:redness|red|swelling) (?:\w+ ){0,3}spreading",
                r"(?:injection|jab|wound|scar|port|line|picc|cannula|drain|site) (?:\w+ ){0,3}"
                r"(?:red|hot|swollen|oozing|weeping|pus)"),
            also=(_FEVERISH,)),
    RedFlag("asks-999", "asking whether to call an ambulance", True, _re(
        r"(?<!when )(?:should|do|shall) (?:i|we) (?:call|ring|phone|get) (?:an ambulance|999|911|112)")),
)
