"""How well the urgent-question detector (nets_search.search.urgent) separates emergencies from questions about them.

Four labelled parts in data/urgent-questions/ (one question a line with "urgent" true or false and, for an urgent
one, the number it should be told to call, "999" or "111"):
- tune.jsonl and test.jsonl: the detector author's own set, written by hand before the rules as patients and
  carers type on a phone, then split at random with a fixed seed (random.Random(28), each kind shuffled on its own
  and its first half made tune).
- independent-tune.jsonl and independent-test.jsonl: a set written by someone who never saw the rules (45 urgent,
  90 not), split with random.Random(2026), stratified by the number to call (999, 111, not urgent: each shuffled on
  its own, the first half, rounded up, made tune). It replaces independent.jsonl, whose rows are exactly these two.
The rules were tuned on the two tune parts only (see TUNED_ON); test and independent-test are held out. The
independent-test part was first read, question by question, after the rules were final.

Per part it reports the share of urgent questions flagged (target: all), the number of not-urgent questions flagged
(target: at most one), how often a flagged urgent question was given the labelled number, and the questions it got
wrong; BEFORE holds the same counts for the detector as it was before the independent set was used (commit 67a7ef2).
Takes a second; no model, no index.

    python benchmarks/urgent.py                                  # all parts, JSON to docs/urgent.json
    python benchmarks/urgent.py --show-errors independent-tune   # also print that part's misses and false alarms
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nets_search.search.urgent import assess  # noqa: E402

DATA = ROOT / "data" / "urgent-questions"
PARTS = ("tune", "test", "independent-tune", "independent-test")
TUNED_ON = ("tune", "independent-tune")
TARGET_MAX_FALSE_ALARMS = 1
# The detector before this set was used (commit 67a7ef2), on the same parts: urgent flagged, not-urgent flagged,
# right number among the flagged.
BEFORE = {
    "tune": {"urgent_flagged": 39, "urgent": 39, "not_urgent_flagged": 0, "not_urgent": 78, "right_number": 39},
    "test": {"urgent_flagged": 38, "urgent": 38, "not_urgent_flagged": 0, "not_urgent": 78, "right_number": 38},
    "independent-tune": {"urgent_flagged": 17, "urgent": 23, "not_urgent_flagged": 2, "not_urgent": 45,
                         "right_number": 16},
    "independent-test": {"urgent_flagged": 16, "urgent": 22, "not_urgent_flagged": 5, "not_urgent": 45,
                         "right_number": 14},
}


def read_part(part: str, data: Path = DATA) -> list[dict]:
    with open(data / f"{part}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def score_part(rows: list[dict]) -> dict:
    """The part's figures: flagged share of urgent questions, not-urgent ones flagged, and the errors."""
    urgent = [r for r in rows if r["urgent"]]
    calm = [r for r in rows if not r["urgent"]]
    verdicts = {r["id"]: assess(r["question"]) for r in rows}
    missed = [r for r in urgent if not verdicts[r["id"]].urgent]
    false_alarms = [r for r in calm if verdicts[r["id"]].urgent]
    flagged = [r for r in urgent if verdicts[r["id"]].urgent]
    right_number = [r for r in flagged if verdicts[r["id"]].call == r["call"]]
    return {
        "questions": len(rows),
        "urgent": len(urgent),
        "urgent_flagged": len(flagged),
        "urgent_flagged_share": round(len(flagged) / len(urgent), 4) if urgent else None,
        "not_urgent": len(calm),
        "not_urgent_flagged": len(false_alarms),
        "right_number": len(right_number),
        "right_number_share": round(len(right_number) / len(flagged), 4) if flagged else None,
        "meets_targets": not missed and len(false_alarms) <= TARGET_MAX_FALSE_ALARMS,
        "missed": [{"id": r["id"], "question": r["question"]} for r in missed],
        "false_alarms": [{"id": r["id"], "question": r["question"], "flag": verdicts[r["id"]].flag}
                         for r in false_alarms],
        "wrong_number": [{"id": r["id"], "question": r["question"], "labelled": r["call"],
                          "given": verdicts[r["id"]].call} for r in flagged if r not in right_number],
    }


def summary_line(part: str, figures: dict) -> str:
    return (f"{part}: {figures['urgent_flagged']}/{figures['urgent']} urgent flagged "
            f"({figures['urgent_flagged_share']:.0%}), {figures['not_urgent_flagged']}/{figures['not_urgent']} "
            f"not-urgent flagged, number right for {figures['right_number']}/{figures['urgent_flagged']} flagged; "
            f"targets {'met' if figures['meets_targets'] else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "urgent.json")
    parser.add_argument("--show-errors", choices=PARTS, action="append", default=[],
                        help="print this part's misses and false alarms (look only at the tune parts while tuning)")
    args = parser.parse_args(argv)
    report = {"targets": {"urgent_flagged_share": 1.0, "not_urgent_flagged_at_most": TARGET_MAX_FALSE_ALARMS},
              "tuned_on": list(TUNED_ON),
              "held_out": [part for part in PARTS if part not in TUNED_ON],
              "split": {"tune/test": "random.Random(28), each kind shuffled, first half tune",
                        "independent-tune/independent-test": "random.Random(2026), stratified by 999 / 111 / not "
                                                             "urgent, first half (rounded up) tune"},
              "parts": {part: score_part(read_part(part)) for part in PARTS},
              "before": BEFORE}
    for part, figures in report["parts"].items():
        print(summary_line(part, figures))
        if part in args.show_errors:
            for kind in ("missed", "false_alarms", "wrong_number"):
                for row in figures[kind]:
                    print(f"  {kind}: {row}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
