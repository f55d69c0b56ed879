"""Run in a fresh process by bench.py: the search page (app.py) through Streamlit's AppTest, with a question in
the URL (?q=...), as a reader's first visit would. Prints one JSON line when the first answer is on the page,
then, after a second question in the same process (model and index already loaded), a final JSON line with
the process's peak resident memory (ru_maxrss).

    python benchmarks/page_probe.py APP_PY "first question" "second question"

The index comes from NETS_SEARCH_INDEX, as for the real page.
"""

from __future__ import annotations

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


def main(argv: list[str]) -> int:
    app_file, first, second = argv
    answer = ask(app_file, first)
    print(json.dumps({"event": "answered", **answer}), flush=True)
    warm = ask(app_file, second)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps({"event": "done", "warm": warm, "peak_rss_mb": rss_mb}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
