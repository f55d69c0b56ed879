"""Run in a fresh process by bench.py: the search page (app.py) through Streamlit's AppTest, with a question in
the URL (?q=...), as a reader's first visit would. Prints one JSON line when the first answer is on the page,
then, after a second question in the same process (model and index already loaded), a final JSON line with
the process's own peak resident memory (VmHWM; see peak_rss_mb).

    python benchmarks/page_probe.py APP_PY "first question" "second question"

The index comes from NETS_SEARCH_INDEX, as for the real page.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def ask(app_file: str, question: str) -> dict:
    from streamlit.testing.v1 import AppTest

    started = time.perf_counter()
    app = AppTest.from_file(app_file, default_timeout=600)
    app.query_params["q"] = question
    app.run()
    cards = sum(1 for block in app.markdown if "nets-card" in str(block.value))
    return {"seconds": time.perf_counter() - started, "cards": cards, "exceptions": [str(e.value) for e in app.exception]}


def peak_rss_mb() -> float:
    """Peak resident memory of this process since it started (VmHWM). Not ru_maxrss alone: on Linux that
    carries over the parent's peak across fork + exec, so a child of a big benchmark process would report
    its parent's size."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app_file", help="the page's script (app.py)")
    parser.add_argument("first", help="the question of the first visit (?q=)")
    parser.add_argument("second", help="a second question in the same process")
    args = parser.parse_args(argv)
    app_file, first, second = args.app_file, args.first, args.second
    answer = ask(app_file, first)
    print(json.dumps({"event": "answered", **answer}), flush=True)
    warm = ask(app_file, second)
    print(json.dumps({"event": "done", "warm": warm, "peak_rss_mb": peak_rss_mb()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
