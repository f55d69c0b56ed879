"""The benchmark's tables (from the results dict alone, so a saved JSON can be printed again) and the issue's
targets checked against the figures of the same run.

    python benchmarks/report.py benchmarks/results/latest.json     # print a saved run again
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

Table = tuple[str, list[str], list[list[str]]]


def tables(results: dict) -> list[Table]:
    out: list[Table] = []
    rows: list[list[str]] = []
    latency = results.get("latency", {})
    for name in ("seed", "medquad"):
        figures = latency.get(name) or {}
        if "project" in figures:
            label = f"query ms, {name} index ({figures['passages']:,} passages, {figures['index_type']})"
            for stat in ("p50", "p95"):
                rows.append([f"{label} {stat}", _ms(figures["project"][f"{stat}_ms"]),
                             _ms(figures["baseline"][f"{stat}_ms"]), _x(figures[f"{stat}_speedup"])])
        elif figures:
            rows.append([f"query ms, {name} index", _why(figures), "", ""])
    for name, figures in (results.get("build") or {}).items():
        if isinstance(figures, dict) and "project" in figures:
            p, b = figures["project"], figures["baseline"]
            rows.append([
                f"full build, {figures.get('corpus', name)} ({figures['documents']:,} docs): s (passages/s)",
                f"{p['seconds']:.1f} ({p['passages']:,} @ {p['passages_per_s']:.1f}/s)",
                f"{b['seconds']:.1f} ({b['passages']:,} @ {b['passages_per_s']:.1f}/s)",
                _x(figures["speedup"]),
            ])
    if "error" in (results.get("build") or {}):
        rows.append(["full build", _why(results["build"]), "", ""])
    if rows:
        out.append(("Project vs naive baseline (ratio = baseline time / project time)",
                    ["figure", "project", "baseline", "ratio"], rows))

    peer_rows = peer_table(results)
    if peer_rows:
        out.append(("Project (full hybrid search) vs the strong peer (sentence-transformers ONNX int8 + FAISS flat, "
                    "bare dense search; ratio = peer / project, above 1 means the project is faster)",
                    ["figure", "project", "peer", "ratio"], peer_rows))

    rebuild = results.get("rebuild")
    if rebuild:
        if "documents" in rebuild:
            steps = [("full_from_cache", "full build, every vector from the cache"),
                     ("edit_one_page", f"edit one page ({rebuild['edited_doc']}), model preloaded"),
                     ("edit_one_page_cli", "edit one page, `nets-search build` (process start + model load)"),
                     ("delete_one_page", f"delete one page ({rebuild['deleted_doc']}), model preloaded"),
                     ("nothing_changed_cli", "nothing changed, `nets-search build`")]
            rows = [[label, f"{rebuild[key]['seconds']:.2f}", str(rebuild[key]["embedded"])] for key, label in steps]
            noop = rebuild["nothing_changed_cli"]
            rows.append(["no-op imported torch / transformers",
                         f"{_yes(noop['torch_imported'])} / {_yes(noop['transformers_imported'])}", ""])
            out.append((f"Rebuild: {rebuild['corpus']} ({rebuild['documents']:,} docs)", ["step", "seconds", "embedded"], rows))
        else:
            out.append(("Rebuild", ["step", "seconds", "embedded"], [["rebuild", _why(rebuild), ""]]))

    cold = results.get("cold")
    if cold:
        if "cli" in cold:
            rows = []
            for name in cold["cli"]:
                cli, page = cold["cli"][name], cold["page"][name]
                size = cold["index_bytes_per_passage"][name]
                rows.append([name, f"{cli['first_answer_s']:.2f}", f"{page['first_answer_s']:.2f}",
                             f"{page['second_question_s'] * 1000:.0f}", f"{page['peak_rss_mb']:.0f}",
                             f"{size['bytes_per_passage'] / 1024:.1f} ({size['passages']:,})"])
            out.append(("Cold start (process start to first answer) and memory",
                        ["index", "CLI s", "page s", "page 2nd question ms", "page peak RSS MB",
                         "index KiB/passage (passages)"], rows))
        else:
            out.append(("Cold start", ["figure", "value"], [["cold start", _why(cold)]]))

    ann = results.get("ann")
    if ann:
        if "real" in ann:
            rows = []
            for label, run in [(f"{ann['real']['source']}", ann["real"])] + [("synthetic", r) for r in ann["synthetic"]["runs"]]:
                rows.append([label, f"{run['vectors']:,}", f"{run['flat']['p50_ms']:.2f}", f"{run['hnsw']['p50_ms']:.2f}",
                             _x(run["hnsw_speedup_p50"]), f"{run['recall_at_10']:.3f}", f"{run['hnsw']['build_s']:.1f}"])
            s = ann["settings"]
            out.append((f"Vectors: flat vs HNSW (M={s['hnsw_m']}, efSearch={s['ef_search']}, k={s['k']}; "
                        f"threshold now {s['threshold']:,}; synthetic = {ann['synthetic']['kind']})",
                        ["vectors from", "count", "flat p50 ms", "HNSW p50 ms", "HNSW speed-up", "recall@10",
                         "HNSW build s"], rows))
        else:
            out.append(("Vectors: flat vs HNSW", ["figure", "value"], [["ann", _why(ann)]]))

    backends = results.get("backends")
    if backends:
        if "torch" in backends:
            rows = []
            for name in ("torch", "onnx", "onnx-int8"):
                b = backends[name]
                rows.append([f"{name} (as {b['loaded_as']})", _ms(b["query_p50_ms"]), _x(b.get("query_speedup_vs_torch", 1.0)),
                             f"{b['passages_per_s']:.1f}", _x(b.get("passage_speedup_vs_torch", 1.0)),
                             f"{b['max_cosine_drift_vs_torch']:.2e}"])
            out.append((f"Encoder backends ({backends['questions']} questions, {backends['windows']} windows of "
                        f"{backends['window_words']} words)",
                        ["backend", "query p50 ms", "vs torch", "passages/s", "vs torch", "max cosine drift"], rows))
        else:
            out.append(("Encoder backends", ["figure", "value"], [["backends", _why(backends)]]))

    targets_ = results.get("targets") or []
    if targets_:
        out.append(("Targets (issues 5 and 13)", ["target", "measured", "met"],
                    [[t["target"], t["measured"], {True: "yes", False: "NO", None: "n/a"}[t["met"]]] for t in targets_]))
    return out


def peer_table(results: dict) -> list[list[str]]:
    rows = []
    for name in ("seed", "medquad"):
        figures = (results.get("latency") or {}).get(name) or {}
        if "peer" in figures:
            for stat in ("p50", "p95"):
                rows.append([f"query ms, {name} index {stat}", _ms(figures["project"][f"{stat}_ms"]),
                             _ms(figures["peer"][f"{stat}_ms"]), _x(figures[f"{stat}_vs_peer"])])
        build = (results.get("build") or {}).get("large" if name == "medquad" else name) or {}
        if "peer" in build:
            rows.append([f"full build, {build.get('corpus', name)}: documents/s", f"{build['project']['documents_per_s']:.1f}",
                         f"{build['peer']['documents_per_s']:.1f}", _x(build["speedup_vs_peer"])])
        flow = (results.get("throughput") or {}).get(name) or {}
        for clients in (1, 2):
            if f"ratio_{clients}_clients" in flow:
                rows.append([f"searches/s, {name} index, {clients} client{'s' if clients > 1 else ''}",
                             f"{flow[f'project_{clients}_clients_per_s']:.0f}", f"{flow[f'peer_{clients}_clients_per_s']:.0f}",
                             _x(flow[f"ratio_{clients}_clients"])])
    return rows


def targets(results: dict) -> list[dict]:
    """The issue's targets, each with the figure it is judged on and whether it is met (None: not measured)."""
    out: list[dict] = []

    def add(target: str, measured: str, met: bool | None) -> None:
        out.append({"target": target, "measured": measured, "met": met})

    latency = results.get("latency") or {}
    for name in ("seed", "medquad"):
        figures = latency.get(name) or {}
        if "p50_speedup" in figures:
            add(f"query p50 ≥ 3× baseline ({name} index)", _x(figures["p50_speedup"]), figures["p50_speedup"] >= 3.0)
    for name in ("seed", "medquad"):
        figures = latency.get(name) or {}
        if "p50_vs_peer" in figures:
            add(f"hybrid p50 no slower than the ONNX-int8 peer's dense search ({name} index)",
                _x(figures["p50_vs_peer"]), figures["p50_vs_peer"] >= 1.0)
        flow = (results.get("throughput") or {}).get(name) or {}
        if "ratio_2_clients" in flow:
            add(f"ahead of the peer in throughput with 2 clients ({name} index)", _x(flow["ratio_2_clients"]),
                flow["ratio_2_clients"] > 1.0)
    medquad = latency.get("medquad") or {}
    if "project" in medquad:
        p50 = medquad["project"]["p50_ms"]
        add("query p50 < 10 ms on the MedQuAD-sized index", f"{p50:.1f} ms", p50 < 10.0)
    else:
        add("query p50 < 10 ms on the MedQuAD-sized index", "not measured (no MedQuAD index)", None)
    for name, figures in (results.get("build") or {}).items():
        if isinstance(figures, dict) and "speedup" in figures:
            add(f"full build ≥ 1.5× baseline ({figures.get('corpus', name)})", _x(figures["speedup"]), figures["speedup"] >= 1.5)
    rebuild = results.get("rebuild") or {}
    if "nothing_changed_cli" in rebuild:
        noop = rebuild["nothing_changed_cli"]
        add("no-op rebuild < 1 s (`nets-search build`, whole process)", f"{noop['seconds']:.2f} s", noop["seconds"] < 1.0)
        add("no-op rebuild imports neither torch nor transformers",
            f"torch {_yes(noop['torch_imported'])}, transformers {_yes(noop['transformers_imported'])}",
            not noop["torch_imported"] and not noop["transformers_imported"])
        edit = rebuild["edit_one_page"]
        big = rebuild["documents"] >= 10_000
        add(f"one-page edit < 3 s plus model load ({rebuild['documents']:,} docs)",
            f"{edit['seconds']:.2f} s, {edit['embedded']} embedded", edit["seconds"] < 3.0 if big else None)
    add("quality within 0.5 points of fp32 PyTorch", "not measured here: `nets-search eval` per backend", None)
    return out


def print_report(results: dict) -> None:
    try:
        from rich.console import Console
        from rich.table import Table as RichTable
    except ImportError:
        for title, headers, rows in tables(results):
            print(plain_table(title, headers, rows))
    else:
        console = Console(width=max(120, Console().width))
        for title, headers, rows in tables(results):
            table = RichTable(title=title, title_justify="left", show_lines=False)
            for number, header in enumerate(headers):
                table.add_column(header, justify="left" if number == 0 else "right", overflow="fold")
            for row in rows:
                table.add_row(*row)
            console.print(table)
    for note in results.get("notes") or []:
        print(f"note: {note}")


def plain_table(title: str, headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([title, line(headers), "  ".join("-" * w for w in widths), *map(line, rows), ""])


def _ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _x(value: float) -> str:
    return f"{value:.2f}×"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _why(figures: dict) -> str:
    return str(figures.get("skipped") or figures.get("error") or "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print the tables and targets of a saved bench.py run again.")
    parser.add_argument("results", type=Path, help="a JSON file written by bench.py (benchmarks/results/latest.json)")
    print_report(json.loads(parser.parse_args(argv).results.read_text(encoding="utf-8")))


if __name__ == "__main__":
    main()
