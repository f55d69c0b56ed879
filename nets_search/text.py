"""Text helpers shared by the splitter, the lexical index and the query path.

Kept free of heavy imports: the no-op build and the lexical path use it without loading torch.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = ("e.g", "i.e", "dr", "mr", "mrs", "ms", "prof", "vs", "etc", "approx", "no", "st", "fig")
# A sentence opening with one of these points back at the one before it ("These cells release hormones …"), and
# a sentence followed by one is what it points at: neither is an answer on its own.
_REFERS_BACK = re.compile(r"[\s•*-]*(this|these|that|those|it|its|they|their|them|such)\b", re.IGNORECASE)
# Words that say how many, how often or how likely: what a "how common …?" question is answered with.
_QUANTITY = re.compile(  # (a digit inside a name, "MEN1", "5-HIAA", "Ga-68", is no number)
    r"(?<![\w-])\d[\d,.]*(?![\w-])|%|\b(one|two|three|four|five|six|seven|eight|nine|ten|half|third|quarter|percent|"
    r"per cent|most|few|rare)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+|$)|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)|\n")

# UK and US spellings folded to one form on both sides of the lexical index. Each rule is applied to a
# lower-cased word; the folded form only has to be consistent, not correct in either spelling.
_SPELLING_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"^oe(?=[a-z]{3})", "e"),  # oesophagus, oestrogen, oedema
        (r"(?<=rrh|[^r]rh|.pn)oea", "ea"),  # diarrhoea, dyspnoea, apnoea
        (r"^haem", "hem"),  # haemoglobin, haemorrhage
        (r"aem(?=i)", "em"),  # anaemia, leukaemia, septicaemia, hypoglycaemia
        (r"paed", "ped"),  # paediatric, orthopaedic
        (r"naes", "nes"),  # anaesthetic
        (r"gynaec", "gynec"),
        (r"^coeli", "celi"),  # coeliac
        (r"^foet", "fet"),
        (r"(?<=[a-z]{3})our(?=s?$|ed$|ing$|ite$|ites$|able$|al$)", "or"),  # tumour, behaviour, colour
        (r"(?<=[a-z]{2})is(?=e$|es$|ed$|ing$|ation$|ations$|er$|ers$)", "iz"),  # metastasised, organisation
        (r"(?<=[a-z])ys(?=e$|es$|ed$|ing$)", "yz"),  # analyse, paralyse
        (r"(?<=[a-z]{2})tre(?=s?$)", "ter"),  # centre, litre, fibre
        (r"ogue(?=s?$)", "og"),  # catalogue, dialogue
        (r"^grey", "gray"),
        (r"(?<=[a-z]{3})ll(?=ed$|ing$)", "l"),  # travelled, labelled
    )
)


def normalise_unicode(text: str) -> str:
    """NFKC plus curly quotes to straight ones; drops control characters (keeps newlines and tabs)."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    if text.replace("\n", " ").replace("\t", " ").isprintable():  # the common case, checked in C
        return text
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def word_count(text: str) -> int:
    return len(WORD_RE.findall(text))


def fold_spelling(word: str) -> str:
    """Fold one lower-cased word so that UK and US spellings meet (tumour/tumor, diarrhoea/diarrhea)."""
    for pattern, replacement in _SPELLING_RULES:
        word = pattern.sub(replacement, word)
    return word


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """One lower-cased word to its index term: UK/US spelling folded, then Snowball-stemmed."""
    return _stemmer().stemWord(fold_spelling(word))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences (and list items / table rows) in `text`, trimmed of spaces."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if match.group().startswith((".",)) and _ends_with_abbreviation(text[start : match.start()]):
            continue
        _add_span(text, start, end, spans)
        start = end
    _add_span(text, start, len(text), spans)
    return spans


def _ends_with_abbreviation(before: str) -> bool:
    tail = before.rsplit(None, 1)[-1].lower().lstrip("(") if before.strip() else ""
    return tail in _ABBREVIATIONS or (len(tail) == 1 and tail.isalpha())


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    left = len(piece) - len(piece.lstrip())
    right = len(piece.rstrip())
    if right > left and any(ch.isalnum() for ch in piece):
        spans.append((start + left, start + right))


def refers_back(sentence: str) -> bool:
    """True when the sentence opens with a word that points at the sentence before it."""
    return _REFERS_BACK.match(sentence) is not None


def holds_quantity(sentence: str) -> bool:
    """True when the sentence gives a number or a share ("about 1 in 30,000", "most", "rare")."""
    return _QUANTITY.search(sentence) is not None


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def sha256_text(*parts: str) -> str:
    """A digest of the parts. Lone surrogates (a file name that is not UTF-8, a JSON '\\ud800') are hashed as
    they are, not an error; any other text hashes exactly as its UTF-8."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


# A sentence that only sends the reader somewhere else ("Visit the practical tips and tools section …", "See our
# page on …", "Read more"): a pointing verb with a place to go, or a bare "read more"-style phrase. "See your GP if
# it lasts" names no place, so it is advice and stays an answer.
_POINTING = re.compile(r"\b(?:visit|go to|see|refer to|read|watch|look at|click|check out|find out|learn)\b", re.I)
_PLACE = re.compile(r"\b(?:section|page|pages|website|site|link|leaflet|booklet|factsheet|video|guide|chapter|tab|"
                    r"below|above)\b|www\.|https?://", re.I)
_BARE_POINTER = re.compile(r"^\W*(?:see also|read more|find out more|learn more|click here|more information)\b", re.I)


def points_elsewhere(sentence: str) -> bool:
    """True when the sentence only points elsewhere instead of answering."""
    return bool(_BARE_POINTER.search(sentence) or (_POINTING.search(sentence) and _PLACE.search(sentence)))
