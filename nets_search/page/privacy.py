"""Masking the identifiers a reader may type into a question before it is stored: NHS numbers, e-mail addresses
(also spelt out or with look-alike characters), phone numbers and dates, while doses, counts, grades, lab values and
years alone are kept. Used by the feedback store (feedback.py) on every reply."""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION_CHARS = 1000  # a stored question is cut to this, after masking
_MASK_WINDOW = 2 * MAX_QUESTION_CHARS  # the first stretch masked, then doubled while masks leave it too short
_MASK_MARGIN = 256  # masked characters past the cut: more than an identifier takes (an address is at most 254)
MIN_PHONE_DIGITS = 9  # a national number: 0 (or a bracketed area code) and at least 8 more digits
MIN_INTERNATIONAL_DIGITS = 8  # +CC and a national number of at least 7 digits (Iceland, Estonia)

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?")
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH_NUMBER = r"(?:0?[1-9]|1[0-2])"
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]|20)\d\d"
# A two-digit year, not a dose or a count: "12 Mar 61" is a date, "from 3 May 20 mg a day" is not.
# Nor a decimal or a range ("1 May 12.5 mg", "3 May 10-20 mg"), nor a lab value ("2 May 45 umol/24h").
_SHORT_YEAR = (r"\d\d(?![.,]\d|\s?(?:-|to\b)\s?\d|\s?(?:%|(?:mg|mcg|[uμ]g|ng|pg|g|kg|ml|dl|l|[uμnpm]?mol|mmol|iu"
               r"|units?|mm|cm|x|times?|doses?|cycles?|tablets?|days?|weeks?|wks?|months?|years?|yrs?|hours?|hrs?|h"
               r"|mins?|minutes?)\b))")
_DATE_GAP = r"(?:\s+|\s?[-/.]\s?)"  # between the parts of a written date: 12 Mar 1961, 12-Mar-1961, 12/Mar/61
_DD = r"(?:0[1-9]|[12]\d|3[01])"
_MM = r"(?:0[1-9]|1[0-2])"
_DOTS = ".．。｡"  # the full stop and its look-alikes (NFKC leaves the ideographic full stop 。 as it is)
_ATS = "@＠﹫"
_NOT_THE = r"(?!(?:the|a|an|this|that|my|your|his|her|its|our|their)\b)"  # "look at the dot on my skin"
_TLD = r"(?:com|org|net|edu|gov|nhs|info|biz|io|uk|ie|au|nz|ca|de|fr|es|nl|ch|se|dk|fi|pl|pt|jp|cn|br|za|eu)"

# An e-mail address, also with "(at)"/"[dot]" or a space round the @, and with look-alike @ and dots.
_EMAIL = re.compile(rf"(?<![\w+\-{_DOTS}])[\w+\-{_DOTS}]+\s?(?:[{_ATS}]|[(\[]at[)\]])\s?[\w-]+"
                    rf"(?:(?:[{_DOTS}]|\s?[(\[]dot[)\]]\s?)[\w-]+)+", re.IGNORECASE)
# An address spelt out without brackets, only where it reads as one: a name, "at", a name, then "dot" and names
# ending in a top-level domain: "jane at example dot com", "jo at nhs dot net" ("look at the dot on my skin" stays).
_SPELT_EMAIL = re.compile(rf"(?<![\w+\-{_DOTS}])[\w+\-{_DOTS}]+(?:\s+at\s+|\s?[{_ATS}]\s?){_NOT_THE}[\w-]+"
                          rf"(?:\s+dot\s+[\w-]+)*\s+dot\s+{_TLD}\b", re.IGNORECASE)
# An ISO date: 1961-03-12, 1961/3/12.
_ISO_DATE = re.compile(rf"\b{_YEAR}([-/.]){_MONTH_NUMBER}\1{_DAY}\b")
# A numeric date, day or month first, one separator throughout: 12/03/1961, 03-12-1961, 12.03.61. A two-digit
# year only after / or ., so "every 3-6-12 months" stays.
_NUMERIC_DATE = re.compile(rf"\b(?:{_DAY}([/.]){_DAY}\1(?:\d{{4}}|\d\d)|{_DAY}-{_DAY}-\d{{4}})\b")
# A written date, day first: 12 March 1961, 3rd Mar. 1961, 12th of March, 1961, 12-Mar-1961, 12 Mar 61 (a day and
# month alone stay).
_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}{_ORDINAL}(?:\s+of\s+|{_DATE_GAP}){_MONTH}(?:,?\s+|{_DATE_GAP})"
                             rf"(?:{_YEAR}|{_SHORT_YEAR})\b", re.IGNORECASE)
# A written date, month first: March 12, 1961; Mar. 12th 1961.
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+{_DAY}{_ORDINAL},?\s+{_YEAR}\b", re.IGNORECASE)
# A run of digit groups that may be a phone number: +CC, a bracketed code or digits, then groups (bracketed or
# not) with a short run of spaces, dots, hyphens or slashes between them (020/7946 0958, 07700 - 900123).
# Possessive, so each digit is read once; _phone decides.
_DIGIT_RUN = re.compile(r"(?<![\d+])(?:\+\s?\d{1,3}|\(\+?\d{1,5}\)|\d++)(?:[ ./-]{0,4}+(?:\(\d{1,5}\)|\d++))*+")
# A last group of one digit after a space: the count in "+44 20 7946 0958 2 times a day", not part of the number.
_LONE_LAST_DIGIT = re.compile(r"[ ./-]{0,4} \d$")
# Eight digits that read as a date: 12031961 (day or month first), 19610312 (year first).
_COMPACT_DATE = re.compile(rf"(?<![\d+])(?<!\d[.,])(?:{_DD}{_MM}{_YEAR}|{_MM}{_DD}{_YEAR}|{_YEAR}{_MM}{_DD})"
                           r"(?![\d]|[.,]\d)")
# Ten digits grouped 3-3-4, one separator throughout or none: an NHS number's layout (and a US phone number's).
_THREE_THREE_FOUR = re.compile(r"(?<![\d+])\d{3}([ .-]?)\d{3}\1\d{4}(?!\d)")


def _phone(match: re.Match) -> str:
    """'[phone]' for a digit run laid out as a phone number: from +, 0 or a bracket, and enough digits."""
    run = match.group()
    lone_digit = _LONE_LAST_DIGIT.search(run)
    number, after = (run[:lone_digit.start()], lone_digit.group()) if lone_digit else (run, "")
    digits = sum(char.isdigit() for char in number)
    if number.count("/") > 1:  # "05/2019-03/2021", "01/2019 - 06/2020": months of treatment, not a number to call
        return run
    if number.startswith("+"):
        return "[phone]" + after if digits >= MIN_INTERNATIONAL_DIGITS else run
    if number.startswith(("0", "(")):
        return "[phone]" + after if digits >= MIN_PHONE_DIGITS else run
    return run


def _nhs_number_or_phone(match: re.Match) -> str:
    """'[NHS number]' if the ten digits pass the NHS number's modulus 11 check, else '[phone]'."""
    digits = [int(char) for char in match.group() if char.isdigit()]
    remainder = sum(digit * weight for digit, weight in zip(digits, range(10, 1, -1))) % 11
    return "[NHS number]" if (11 - remainder) % 11 == digits[9] else "[phone]"


_IDENTIFIERS = (  # (pattern, mask or function giving it), applied in this order
    (_EMAIL, "[email]"),
    (_SPELT_EMAIL, "[email]"),
    (_ISO_DATE, "[date]"),
    (_NUMERIC_DATE, "[date]"),
    (_DAY_MONTH_YEAR, "[date]"),
    (_MONTH_DAY_YEAR, "[date]"),
    (_DIGIT_RUN, _phone),
    (_COMPACT_DATE, "[date]"),  # after phone numbers: the last eight digits of one are not a date
    (_THREE_THREE_FOUR, _nhs_number_or_phone),
)


def mask_identifiers(question: str) -> str:
    """The question as it may be stored: NFKC-normalised (full-width and look-alike characters as plain ones),
    whitespace runs as one space, NHS numbers, e-mail addresses, phone numbers and dates replaced by a
    placeholder, cut to MAX_QUESTION_CHARS. Doses, counts, grades and years alone are kept.

    The cut comes after masking, at least _MASK_MARGIN masked characters before the end of the stretch that was
    masked, so an identifier cut where that stretch ends (and so left unmasked) is never within what is kept."""
    text = " ".join(question.split())
    window = _MASK_WINDOW
    while True:
        masked = _masked(text[:window])
        if window >= len(text) or len(masked) >= MAX_QUESTION_CHARS + _MASK_MARGIN:
            return masked[:MAX_QUESTION_CHARS]
        window *= 2


def _masked(text: str) -> str:
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    for pattern, mask in _IDENTIFIERS:
        text = pattern.sub(mask, text)
    return text
