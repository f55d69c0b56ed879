"""Identifiers masked before a question is stored: NHS numbers, e-mail addresses, phone numbers, dates; medical numbers kept."""

from __future__ import annotations

import pytest

from nets_search.page.privacy import MAX_QUESTION_CHARS, mask_identifiers


MASKED = [  # (what a reader wrote, what an editor may see)
    # shown verbatim before
    ("call (020) 7946 0958 about it", "call [phone] about it"),
    ("ring +44 (0)20 7946 0958 today", "ring [phone] today"),
    ("my sister on +1 (415) 555-0100", "my sister on [phone]"),
    ("my GP in Lyon +33 6 12 34 56 78", "my GP in Lyon [phone]"),
    ("nurse 020.7946.0958?", "nurse [phone]?"),
    ("born 1961-03-12, can I have PRRT", "born [date], can I have PRRT"),
    ("born March 12, 1961, can I have PRRT", "born [date], can I have PRRT"),
    ("write to jane.doe\uff20example.com", "write to [email]"),
    # more phone numbers, national and international
    ("+49 30 12345678 is my clinic", "[phone] is my clinic"),
    ("India +91 98765 43210", "India [phone]"),
    ("Tokyo +81 3-1234-5678", "Tokyo [phone]"),
    ("Sydney +61 2 9876 5432 or (02) 9876 5432", "Sydney [phone] or [phone]"),
    ("Dublin +353 1 234 5678", "Dublin [phone]"),
    ("Madrid +34 912 34 56 78", "Madrid [phone]"),
    ("São Paulo +55 11 91234-5678", "São Paulo [phone]"),
    ("Moscow +7 495 123-45-67", "Moscow [phone]"),
    ("from abroad 0044 20 7946 0958", "from abroad [phone]"),
    ("mobile 07700 900123 or 07700900123", "mobile [phone] or [phone]"),
    ("Paris 06 12 34 56 78", "Paris [phone]"),
    ("US 415-555-0100 or 415.555.0100", "US [phone] or [phone]"),
    ("full-width \uff10\uff12\uff10 \uff17\uff19\uff14\uff16 \uff10\uff19\uff15\uff18", "full-width [phone]"),
    ("+44 20 7946 0958 2 times a day", "[phone] 2 times a day"),
    # NHS numbers (943 476 5919 passes the modulus 11 check; 943 476 5918 does not, and is masked all the same)
    ("NHS 943-476-5919 and 9434765919", "NHS [NHS number] and [NHS number]"),
    ("nhs no 943 476 5918", "nhs no [phone]"),
    # dates
    ("DOB 12 March 1961", "DOB [date]"),
    ("DOB 12/03/1961", "DOB [date]"),
    ("DOB 12.03.61", "DOB [date]"),
    ("DOB the 12th of March, 1961", "DOB the [date]"),
    ("DOB Mar. 3rd, 1961 or 3 Sept 1961", "DOB [date] or [date]"),
    # e-mail addresses with look-alike characters or spelt out
    ("jane.doe\ufe6bexample\uff0ecom", "[email]"),
    ("j\u0430ne@example.com", "[email]"),  # Cyrillic a
    ("jo (at) example [dot] com", "[email]"),
    # medical content stays
    ("is 100 mg of lanreotide every 28 days too much", "is 100 mg of lanreotide every 28 days too much"),
    ("5-HIAA of 120 in a 24-hour urine", "5-HIAA of 120 in a 24-hour urine"),
    ("octreotide 2 to 3 times a day", "octreotide 2 to 3 times a day"),
    ("grade 2, Ki-67 of 3%, stage 4", "grade 2, Ki-67 of 3%, stage 4"),
    ("since 2019, scans at 3-6-12 months", "since 2019, scans at 3-6-12 months"),
    ("lanreotide 05/2019-03/2021 then PRRT", "lanreotide 05/2019-03/2021 then PRRT"),
    ("from 01/2019 - 06/2020 on octreotide", "from 01/2019 - 06/2020 on octreotide"),
    ("5-HIAA on 2 May 45 umol/24h", "5-HIAA on 2 May 45 umol/24h"),
    ("CgA 3 Jan 95 ng/ml", "CgA 3 Jan 95 ng/ml"),
    ("since 1 May 12.5 mg a day", "since 1 May 12.5 mg a day"),
    ("from 3 May 10-20 mg", "from 3 May 10-20 mg"),
    ("call me on 020/7946 0958", "call me on [phone]"),
    ("7.4 GBq 4 times, 0.5 mg, 1 in 100,000, BP 120/80", "7.4 GBq 4 times, 0.5 mg, 1 in 100,000, BP 120/80"),
    ("Ga68-DOTATATE, CA19-9, HbA1c 48, Lu177", "Ga68-DOTATATE, CA19-9, HbA1c 48, Lu177"),
    ("a scan on 12 March, from 01/2019, CgA 150 200 250", "a scan on 12 March, from 01/2019, CgA 150 200 250"),
    # shown verbatim after the third pass: dates with a month name and a hyphen or a two-digit year, eight digits
    ("DOB 12-Mar-1961", "DOB [date]"),
    ("DOB 12 Mar 61, is that relevant", "DOB [date], is that relevant"),
    ("DOB 12/Mar/61 or 3.May.1961", "DOB [date] or [date]"),
    ("DOB 12031961 or 19610312", "DOB [date] or [date]"),
    # ... phone numbers with more than one character between their groups
    ("call 020/7946 0958 today", "call [phone] today"),
    ("mobile 07700 - 900123", "mobile [phone]"),
    ("+44 20 7946 0958 - 2 times a day", "[phone] - 2 times a day"),
    # ... addresses with the ideographic full stop, or spelt out without brackets
    ("write to jane@example\u3002com", "write to [email]"),
    ("write to jane\uff61doe@example\uff61co\uff61uk", "write to [email]"),
    ("jane at example dot com", "[email]"),
    ("write to Jo.Bloggs AT nhs DOT net please", "write to [email] please"),
    ("jo at example dot co dot uk or jane@example dot com", "[email] or [email]"),
    # ... while questions and medical numbers that only look like them stay
    ("look at the dot on my skin", "look at the dot on my skin"),
    ("is the dot at my hairline a NET", "is the dot at my hairline a NET"),
    ("from 3 May 20 mg a day, grade 2 may 10 years", "from 3 May 20 mg a day, grade 2 may 10 years"),
    ("100 mg every 28 days, 2 to 3 times a day, since 2019", "100 mg every 28 days, 2 to 3 times a day, since 2019"),
    ("grade 2, Ki-67 of 3%, stage 4, 5-HIAA 0.5 - 1 - 2", "grade 2, Ki-67 of 3%, stage 4, 5-HIAA 0.5 - 1 - 2"),
    ("doses 0.5 / 1 / 2 / 4 mg, CgA 12345678, BP 120 / 80", "doses 0.5 / 1 / 2 / 4 mg, CgA 12345678, BP 120 / 80"),
]


@pytest.mark.parametrize("question, masked", MASKED)
def test_identifiers_are_masked_and_medical_numbers_kept(question, masked):
    assert mask_identifiers(question) == masked


def test_an_identifier_across_the_length_cut_is_masked_not_half_shown():
    stored = mask_identifiers("x" * (MAX_QUESTION_CHARS - 5) + " 020 7946 0958")
    assert len(stored) == MAX_QUESTION_CHARS and not any(char.isdigit() for char in stored)
