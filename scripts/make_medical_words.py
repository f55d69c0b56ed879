"""Writes nets_search/search/medical_words.py: the English words that lean medical, which a "no good match" answer
may name as missing even though they are common ("diabetes", "asthma", "insulin").

A word leans medical when its share of MedQuAD's answer texts (NIH consumer health pages) is at least MIN_RATIO
times its share of pyspellchecker's general English counts, seen at least MIN_COUNT times there. Only words among
the LIST_RANKS most frequent English words are listed: rarer ones are named anyway (search/query.py). Everyday
wording that readers use about their bodies stays out ("breathe" 2.7 times, "properly" 9.9, "runny" 10.4,
"stairs" 1.6, "jab" never seen), while condition and treatment names sit far above (asthma 63, diabetes 850).
Adverbs ("additionally": MedQuAD's page template) are left out: they are wording, never a topic. Some noise stays
(place names, a few verbs of the template): they are named only when a question holds them and our pages do not.

Run once from the repository root when the rule changes: python scripts/make_medical_words.py [MEDQUAD_CORPUS]
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from nets_search.search.query import EVERYDAY_WORDS, RARE_FROM, word_counts

MIN_RATIO = 30.0
MIN_COUNT = 20
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "medquad" / "corpus.jsonl"
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
OUT = Path(__file__).resolve().parents[1] / "nets_search" / "search" / "medical_words.py"


def medical_words(corpus: Path) -> list[str]:
    medical: Counter = Counter()
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            text = f"{record.get('title', '')} {record.get('text', '')}".lower().replace("’", "'")
            medical.update(w.replace("'", "") for w in _WORD.findall(text))
    english: Counter = Counter()
    for word, count in word_counts().items():  # as questions are read: apostrophes dropped ("parkinsons")
        english[word.replace("'", "")] += count
    medical_total, english_total = sum(medical.values()), sum(english.values())
    ranked = sorted(english, key=lambda w: (-english[w], w))[EVERYDAY_WORDS:RARE_FROM]
    return sorted(w for w in ranked if w.isalpha() and not w.endswith("ly") and medical[w] >= MIN_COUNT
                  and (medical[w] / medical_total) / (english[w] / english_total) >= MIN_RATIO)


def main(argv: list[str]) -> int:
    words = medical_words(Path(argv[0]) if argv else DEFAULT_CORPUS)
    body = "\n".join(f"    {' '.join(words[i:i + 12])}" for i in range(0, len(words), 12))
    OUT.write_text(
        '"""English words that lean medical: named as missing from our pages although common in English.\n\n'
        "Made by scripts/make_medical_words.py (MedQuAD's share against general English); do not edit by hand.\n"
        '"""\n\nMEDICAL_WORDS = frozenset("""\n' + body + '\n""".split())\n', encoding="utf-8")
    print(f"{len(words)} words -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
