"""Answer quality, honestly: choose the fusion settings and the default "no good match" calibration on the tune
parts of the labelled sets, then report every figure on the test parts, which no choice has seen.

    python benchmarks/quality.py                 # grid on tune, report test; writes docs/quality.json and .md
    python benchmarks/quality.py --no-grid       # report today's settings only
    python benchmarks/quality.py --no-grid --refit-calibration   # ... and refit the default calibration (tune parts)
    python benchmarks/quality.py --bm25-grid     # BM25's settings tried on tune only; writes docs/quality-bm25.json
    python benchmarks/quality.py --sentence-grid # the best sentence's settings on tune; docs/quality-sentence.json
    python benchmarks/quality.py --calibration-cv  # "no good match" cross-validated on tune; quality-calibration-cv.json

Sets (each split into tune/test by `nets_search.evaluate.metrics.part_of`, a fixed seed):
  seed corpus (corpus/):          its labelled questions (corpus/*.jsonl) and ../shared/data/nets-dev-questions.jsonl
  NETs library (examples/nets-library/): its labelled questions (examples/nets-library/*.jsonl)
  MedQuAD dev (../shared/data/medquad, CC BY 4.0): 1,000 questions, when its index has been built
    (nets-search eval --beir ../shared/data/medquad builds index-beir-medquad/)
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nets_search.evaluate.beir import BEIR_DEPTH, evaluate_beir, load_beir  # noqa: E402
from nets_search.evaluate.golden import GoldenQuestion, load_golden  # noqa: E402
from nets_search.evaluate.golden_report import GOLDEN_DEPTH, evaluate_golden  # noqa: E402
from nets_search.evaluate.metrics import PARTS, SPLIT_SEED, split_parts  # noqa: E402
from nets_search.evaluate.runs import write_json  # noqa: E402
from nets_search.build.build import BuildSettings, build_index  # noqa: E402
from nets_search.build.calibrate import labelled_questions  # noqa: E402
from nets_search.search.confidence import DEFAULT_CALIBRATION, fit_calibration  # noqa: E402
from nets_search.encode.encoder import DEFAULT_BACKEND, Encoder  # noqa: E402
from nets_search.search.fusion import FusionSettings  # noqa: E402
from nets_search.index.lexical import BM25_SETTINGS, Bm25Settings, LexicalIndex, analyse, lexical_document  # noqa: E402
from nets_search.search.searcher import Searcher  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
# Each written by someone who read only that corpus's pages (no code, no glossary, no other questions), after every
# setting was chosen: reported whole, never tuned on, never used for calibration.
BLIND = {"library": ROOT / "benchmarks" / "held-out" / "nets-library-blind.jsonl",
         "seed": ROOT / "benchmarks" / "held-out" / "nets-seed-blind.jsonl"}
CORPORA = {"seed": ROOT / "corpus", "library": ROOT / "examples" / "nets-library"}
GRID = {
    "sentence_weight": (0.0, 0.3, 0.5, 0.7),
    "expansion_weight": (0.3, 0.6, 1.0),
    "dense_weight": (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95),
}
# How the best sentence is chosen and shown: these settings change no ranking, only which sentence is bold.
SENTENCE_GRID = {"sentence_words_weight": (0.0, 0.15, 0.3, 0.5), "quantity_weight": (0.0, 0.05, 0.1, 0.2),
                 "widen_to_references": (False, True)}
BM25_GRID = {"heading_repeat": (1, 2, 3, 5), "k1": (0.6, 0.9, 1.2, 1.6), "b": (0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.75)}


def question_sets() -> dict[str, list[GoldenQuestion]]:
    sets = {name: labelled_questions(folder, part=None) for name, folder in CORPORA.items()}
    dev = SHARED / "nets-dev-questions.jsonl"
    if dev.is_file():
        sets["seed"] += load_golden(dev)
    return sets


def open_searchers(encoder: Encoder, work: Path) -> dict[str, Searcher]:
    searchers = {}
    for name, folder in CORPORA.items():
        index = work / name
        build_index(folder, index, BuildSettings(), encoder=encoder)
        searchers[name] = Searcher(index, encoder=encoder)
    medquad = ROOT / "index-beir-medquad"
    if (medquad / "CURRENT").is_file() and (SHARED / "medquad" / "corpus.jsonl").is_file():
        # brought up to date as the NETs indexes are (seconds when nothing changed; after a change of BM25's or the
        # fusion's settings, a rebuild from the embedding cache), so no figure comes from an index of other settings
        build_index(SHARED / "medquad" / "corpus.jsonl", medquad, BuildSettings(), encoder=encoder)
        searchers["medquad"] = Searcher(medquad, encoder=encoder)
    return searchers


def golden_figures(searcher: Searcher, questions, mode: str = "hybrid") -> dict:
    """hit@1/3, MRR@5, best sentence and flags for one part, and its misses (for reading, not tuning)."""
    report = evaluate_golden(lambda text: searcher.search(text, k=GOLDEN_DEPTH, mode=mode), questions)
    out = report.to_dict()
    out.pop("questions")
    out["misses"] = [{"id": m.id, "question": m.question, "rank": m.rank,
                      "winner": f"{m.winner.breadcrumb}: {m.winner.text[:80]}" if m.winner else None} for m in report.misses]
    out["best_sentence_rate"] = round(report.best_sentence_rate, 4)
    out["out_of_scope_caught"] = round(report.out_of_scope_flagged / report.out_of_scope, 4) if report.out_of_scope else None
    out["in_scope_flag_rate"] = round(report.in_scope_flagged / report.in_scope, 4) if report.in_scope else None
    return out


def medquad_ndcg(searcher: Searcher, part: str, mode: str = "hybrid") -> dict:
    dataset = load_beir(SHARED / "medquad")
    scores = evaluate_beir(lambda text: searcher.search(text, k=BEIR_DEPTH, mode=mode), dataset, part=part)
    return scores.to_dict(per_query=False)


def tune_in_scope(sets, name: str) -> list:
    """A corpus's in-scope questions of the tune part: what the ranking objectives are measured on."""
    return [q for q in split_parts(sets[name], key=lambda q: q.id)["tune"] if not q.out_of_scope]


def tune_objective(searchers, sets) -> float:
    """Mean over the corpora of MRR@5 on the tune part (and MedQuAD nDCG@10 on its tune part, if built)."""
    values = []
    for name in CORPORA:
        tune = tune_in_scope(sets, name)
        if tune:
            values.append(golden_figures(searchers[name], tune)["mrr@5"])
    if "medquad" in searchers:
        values.append(_medquad_tune(searchers["medquad"]))
    return sum(values) / len(values)


_MEDQUAD_TUNE: dict[tuple, float] = {}


def _medquad_tune(searcher: Searcher) -> float:
    """MedQuAD has no glossary: under one BM25 its figure depends only on the fusion and sentence weights, so it is
    measured once for each of their combinations."""
    key = (searcher.fusion.sentence_weight, searcher.fusion.dense_weight)
    if key not in _MEDQUAD_TUNE:
        _MEDQUAD_TUNE[key] = medquad_ndcg(searcher, "tune")["ndcg@10"]
    return _MEDQUAD_TUNE[key]


def grid_search(searchers, sets) -> tuple[FusionSettings, list]:
    trials = []
    for values in itertools.product(*GRID.values()):
        settings = FusionSettings(**dict(zip(GRID, values)), lexical_weight=1 - values[2])
        for searcher in searchers.values():
            searcher.fusion = settings
        score = tune_objective(searchers, sets)
        trials.append({"settings": asdict(settings), "tune_objective": round(score, 4)})
        print(f"  {dict(zip(GRID, values))}: {score:.4f}", flush=True)
    best = max(trials, key=lambda t: t["tune_objective"])
    return FusionSettings(**best["settings"]), trials


def bm25_grid(searchers, sets) -> list[dict]:
    """BM25's settings tried on the tune parts under today's fusion, each searcher's BM25 rebuilt in memory over
    its own passages (the passages and vectors do not depend on them). The objective is the fusion grid's."""
    trials = []
    for repeat in BM25_GRID["heading_repeat"]:
        documents = {name: [analyse(lexical_document(p, Bm25Settings(heading_repeat=repeat))) for p in s.passages]
                     for name, s in searchers.items()}
        for k1, b in itertools.product(BM25_GRID["k1"], BM25_GRID["b"]):
            settings = Bm25Settings(k1=k1, b=b, heading_repeat=repeat)
            for name, searcher in searchers.items():
                searcher.use_lexical(LexicalIndex.from_terms(documents[name], settings))
            _MEDQUAD_TUNE.clear()  # its figures are kept per fusion setting, and change with BM25's
            score = tune_objective(searchers, sets)
            trials.append({"settings": asdict(settings), "tune_objective": round(score, 4)})
            print(f"  k1 {k1}, b {b}, headings x{repeat}: {score:.4f}", flush=True)
    return trials


def sentence_grid(searchers, sets) -> list[dict]:
    """The best sentence's settings tried on the tune parts of both NETs corpora: the objective is how many of
    the questions answered first have the expected phrase in their best sentence (the ranking does not move)."""
    trials = []
    tune = {name: tune_in_scope(sets, name) for name in CORPORA}
    for values in itertools.product(*SENTENCE_GRID.values()):
        settings = replace(FusionSettings(), **dict(zip(SENTENCE_GRID, values)))
        hits = asked = 0
        for name, questions in tune.items():
            searchers[name].fusion = settings
            report = evaluate_golden(
                lambda text, searcher=searchers[name]: searcher.search(text, k=GOLDEN_DEPTH), questions)
            hits, asked = hits + report.best_sentence_hits, asked + report.best_sentence_asked
        trials.append({"settings": dict(zip(SENTENCE_GRID, values)), "best_sentence": f"{hits}/{asked}",
                       "tune_objective": round(hits / asked, 4) if asked else 0.0})
        print(f"  {dict(zip(SENTENCE_GRID, values))}: {hits}/{asked}", flush=True)
    return trials


def calibration_cv(searchers, folds: int = 5, shuffles: int = 30, targets=(0.02, 0.01, 0.04)) -> dict:
    """The "no good match" rule cross-validated on each NETs corpus's tune questions alone, refitted per fold as a
    build does: how it treats questions it was not fitted on. The first target is the shipped share of in-scope
    questions the fit may flag (`fit_calibration`'s default); the others show what asking for fewer or more does."""
    report = {}
    for name, folder in CORPORA.items():
        questions = labelled_questions(folder, part="tune")
        evidence = [searchers[name].search(q.question).evidence for q in questions]
        in_scope = [not q.out_of_scope for q in questions]
        by_target = {str(t): _cross_validated(evidence, in_scope, folds, shuffles, t) for t in targets}
        report[name] = {**by_target[str(targets[0])], "by_max_false_flags": by_target}
        for target, counts in by_target.items():
            print(f"  {name} (fit for {target}): in scope flagged {counts['in_scope_flag_rate']:.3f}, "
                  f"out of scope caught {counts['out_of_scope_caught_rate']:.3f}", flush=True)
    return {"folds": folds, "shuffles": shuffles, "max_false_flags": targets[0], "corpora": report}


def _cross_validated(evidence, in_scope, folds: int, shuffles: int, max_false_flags: float) -> dict:
    counts = {"in_scope_flagged": 0, "in_scope_judged": 0, "out_of_scope_caught": 0, "out_of_scope_judged": 0}
    for shuffle in range(shuffles):
        order = list(range(len(evidence)))
        random.Random(shuffle).shuffle(order)
        for fold in range(folds):
            held = set(order[fold::folds])
            fitted = fit_calibration([e for i, e in enumerate(evidence) if i not in held],
                                     [y for i, y in enumerate(in_scope) if i not in held], max_false_flags)
            for i in held:
                counts["in_scope_judged" if in_scope[i] else "out_of_scope_judged"] += 1
                counts["in_scope_flagged" if in_scope[i] else "out_of_scope_caught"] += fitted.no_good_match(evidence[i])
    counts["in_scope_flag_rate"] = round(counts["in_scope_flagged"] / counts["in_scope_judged"], 4)
    counts["out_of_scope_caught_rate"] = round(counts["out_of_scope_caught"] / counts["out_of_scope_judged"], 4)
    return counts


def fit_default_calibration(searchers, sets):
    """The package's default calibration: fitted on the tune parts of both NETs corpora together, each question's
    evidence from its own corpus's index, so that it holds for a corpus with no labelled questions of its own."""
    evidence, labels = [], []
    for name in CORPORA:
        for q in split_parts(sets[name], key=lambda q: q.id)["tune"]:
            evidence.append(searchers[name].search(q.question).evidence)
            labels.append(not q.out_of_scope)
    return fit_calibration(evidence, labels)


def default_calibration_figures(searchers, sets, calibration) -> dict:
    """How each corpus's tune questions fare with the package default in place of the version's own calibration
    (what a corpus with no labelled questions of its own gets), counted as the main table counts them."""
    figures = {}
    for name in CORPORA:
        searcher, own = searchers[name], searchers[name].calibration
        searcher.calibration = calibration
        try:
            g = golden_figures(searcher, split_parts(sets[name], key=lambda q: q.id)["tune"])
        finally:
            searcher.calibration = own
        figures[name] = {"in_scope": g["in_scope"], "in_scope_flagged": g["in_scope_flagged"],
                         "in_scope_sure": g["in_scope_labelled_sure"], "out_of_scope": g["out_of_scope"],
                         "out_of_scope_caught": g["out_of_scope_flagged"],
                         "out_of_scope_sure": g["out_of_scope_labelled_sure"]}
    return figures


def markdown_summary(report: dict) -> str:
    """The README's quality figures as a table, each row naming its set and part."""
    f = report["fusion"]
    lines = [
        "# Answer quality: the latest run of benchmarks/quality.py",
        "",
        f"Created {report['created']}; split seed `{report['split_seed']}`. Chosen on the tune parts: dense weight "
        f"{f['dense_weight']}, lexical {round(f['lexical_weight'], 2)}, sentence weight {f['sentence_weight']}, "
        f"expansion weight {f['expansion_weight']}; best sentence (`--sentence-grid`, docs/quality-sentence.json): "
        f"words' share {f['sentence_words_weight']}, number bonus {f['quantity_weight']}, widened to a pointing "
        f"neighbour: {f['widen_to_references']}. Every figure below is on a **test** part unless it says tune; "
        "`library-blind` and `seed-blind` are held-out sets written by someone who saw only those pages, used whole.",
        "",
        "| set | part | mode | hit@1 | hit@3 | MRR@5 | best sentence | out of scope caught | in scope flagged | "
        "strong/good: out of scope, in scope |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, parts in report["sets"].items():
        if name == "medquad":
            continue
        for part in ("test", "held-out", "tune"):
            for mode, g in parts.get(part, {}).items():
                lines.append(
                    f"| {name} | {part} | {mode} | {g['hit@1']:.3f} | {g['hit@3']:.3f} | {g['mrr@5']:.3f} | "
                    f"{g['best_sentence']} | {g['out_of_scope_flagged']}/{g['out_of_scope']} | "
                    f"{g['in_scope_flagged']}/{g['in_scope']} | {g['out_of_scope_labelled_sure']}/{g['out_of_scope']}, "
                    f"{g['in_scope_labelled_sure']}/{g['in_scope']} |")
    lines += ["", "How far these figures can be trusted: 95% Wilson intervals of the hybrid rows above (a few dozen "
              "questions per part give wide ones: the rate on questions like these is plausibly anywhere inside, so a "
              "target inside one is neither shown met nor shown missed; the questions are counted as independent, "
              "which several wordings of one need make optimistic):", "",
              "| set | part | hit@1 | hit@3 | best sentence | out of scope caught | in scope flagged |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, parts in report["sets"].items():
        for part in ("test", "held-out"):
            g = parts.get(part, {}).get("hybrid") if name != "medquad" else None
            if g and "intervals_95" in g:
                i = g["intervals_95"]
                cells = [f"{i[k][0]:.2f}–{i[k][1]:.2f}" for k in
                         ("hit@1", "hit@3", "best_sentence", "out_of_scope_caught", "in_scope_flagged")]
                lines.append(f"| {name} | {part} | " + " | ".join(cells) + " |")
    if "default_calibration_on_tune" in report:
        lines += ["", "The package's default calibration (for a corpus with no labelled questions of its own) on each "
                  "corpus's **tune** questions, which it was fitted on:", "",
                  "| corpus | in scope flagged | in scope strong/good | out of scope caught | out of scope strong/good |",
                  "| --- | --- | --- | --- | --- |"]
        for name, d in report["default_calibration_on_tune"].items():
            lines.append(f"| {name} | {d['in_scope_flagged']}/{d['in_scope']} | {d['in_scope_sure']}/{d['in_scope']} | "
                         f"{d['out_of_scope_caught']}/{d['out_of_scope']} | {d['out_of_scope_sure']}/{d['out_of_scope']} |")
    if "medquad" in report["sets"]:
        lines += ["", "| MedQuAD dev (CC BY 4.0) | part | mode | nDCG@10 | MRR@10 | Recall@10 | Recall@100 | queries |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for part in ("test", "tune"):
            for mode, m in report["sets"]["medquad"][part].items():
                lines.append(f"| | {part} | {mode} | {m['ndcg@10']:.3f} | {m['mrr@10']:.3f} | {m['recall@10']:.3f} | "
                             f"{m['recall@100']:.3f} | {m['queries']} |")
    return "\n".join(lines) + "\n"


def best_and_grid(trials: list[dict]) -> dict:
    best = max(trials, key=lambda t: t["tune_objective"])
    print(f"best on tune: {best}")
    return {"best_on_tune": best, "grid": trials}


def write_side_summary(out: Path, name: str, body: dict) -> None:
    """A one-question run's summary (a grid that ships nothing by itself, a cross-validation) beside quality.json."""
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    write_json(out.with_name(name), {"created": created, **body})


def previous_grid(summary: Path) -> list:
    """The fusion grid of the last full run: a --no-grid report keeps it, so the committed summary still shows
    how today's weights were chosen."""
    try:
        return json.loads(summary.read_text(encoding="utf-8")).get("grid", [])
    except (FileNotFoundError, ValueError):
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-grid", action="store_true", help="report today's settings without a grid search")
    parser.add_argument("--refit-calibration", action="store_true",
                        help="with --no-grid: still refit the package's default calibration on the tune parts")
    parser.add_argument("--bm25-grid", action="store_true",
                        help="only try BM25's settings on the tune parts (docs/quality-bm25.json); ships nothing")
    parser.add_argument("--sentence-grid", action="store_true",
                        help="only try the best sentence's settings on the tune parts (docs/quality-sentence.json)")
    parser.add_argument("--calibration-cv", action="store_true",
                        help="only cross-validate the no-good-match rule on the tune parts (docs/quality-calibration-cv.json)")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "results" / "quality-indexes")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "quality.json")
    args = parser.parse_args()
    started = time.perf_counter()
    encoder = Encoder(DEFAULT_BACKEND, cache_dir=ROOT / "index" / "cache")
    sets = question_sets()
    searchers = open_searchers(encoder, args.work)
    if args.bm25_grid:
        trials = bm25_grid(searchers, sets)
        write_side_summary(args.out, "quality-bm25.json", {"fusion": asdict(FusionSettings()),
                                                           "shipped": asdict(BM25_SETTINGS), **best_and_grid(trials)})
        return
    if args.calibration_cv:
        write_side_summary(args.out, "quality-calibration-cv.json", calibration_cv(searchers))
        return
    if args.sentence_grid:
        trials = sentence_grid(searchers, sets)
        shipped = {name: getattr(FusionSettings(), name) for name in SENTENCE_GRID}
        write_side_summary(args.out, "quality-sentence.json", {"shipped": shipped, **best_and_grid(trials)})
        return
    chosen, trials = FusionSettings(), previous_grid(args.out)
    if not args.no_grid:
        chosen, trials = grid_search(searchers, sets)
        print(f"chosen on tune: {chosen}")
    for searcher in searchers.values():
        searcher.fusion = chosen
    calibration = fit_default_calibration(searchers, sets)
    print(f"default calibration: {calibration}")
    report = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "split_seed": SPLIT_SEED,
              "fusion": asdict(chosen), "default_calibration": asdict(calibration), "grid": trials, "sets": {}}
    for name in CORPORA:
        # Each corpus's own version calibration (fitted on its tune part at build time) is what the page uses.
        parts = split_parts(sets[name], key=lambda q: q.id)
        report["sets"][name] = {
            part: {mode: golden_figures(searchers[name], qs, mode) for mode in ("hybrid", "dense", "lexical")}
            for part, qs in parts.items() if qs
        }
    for name, path in BLIND.items():
        if path.is_file():
            blind = load_golden(path)
            report["sets"][f"{name}-blind"] = {"held-out": {mode: golden_figures(searchers[name], blind, mode)
                                                            for mode in ("hybrid", "dense", "lexical")}}
    if "medquad" in searchers:
        report["sets"]["medquad"] = {part: {mode: medquad_ndcg(searchers["medquad"], part, mode)
                                            for mode in ("hybrid", "dense", "lexical")} for part in PARTS}
    report["default_calibration_on_tune"] = default_calibration_figures(searchers, sets, calibration)
    report["seconds"] = round(time.perf_counter() - started, 1)
    write_json(args.out, report)
    args.out.with_suffix(".md").write_text(markdown_summary(report), encoding="utf-8")
    if not args.no_grid or args.refit_calibration:
        calibration.save(DEFAULT_CALIBRATION)
    print(json.dumps({n: {p: {m: {k: v for k, v in f.items() if k not in ("misses",)} for m, f in parts.items()}
                          for p, parts in s.items()} for n, s in report["sets"].items()}, indent=1))


if __name__ == "__main__":
    main()
