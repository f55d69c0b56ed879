#!/usr/bin/env python
"""Readers at once: a real `streamlit run app.py` on 127.0.0.1, driven through its own websocket protocol by a
bounded number of simultaneous readers, each asking varied lay questions one after another with no pause between.

    python benchmarks/page_load.py                       # seed index (corpus/), 1, 5, 20 and 50 readers
    python benchmarks/page_load.py --sessions 1,5 --questions 10 --out docs/page-load.json

For each search a reader sends what a browser sends for a question (a rerun with `q=...`, as Enter in the box or a
shared link does) and waits for the server's "script finished": the time from Enter to rendered results,
Streamlit's own rerun included (layout, widgets, the search, every card), over loopback. Reports p50/p95 of that
time, errors (a run that failed, drew no card or took longer than --timeout), searches per second for the whole
page process, and the page process's resident memory after each step and at its peak. "Readers held" is the largest
number of readers whose p95 stayed under one second with no error. Readers here never pause to read, so each one
is many real readers' worth of load. Compare figures only within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import workloads  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


BARE_APP = """import streamlit as st
st.title("Floor")
st.markdown('<div class="nets-card">' + (st.query_params.get("q") or "") + "</div>", unsafe_allow_html=True)
"""
# The same two-element page with the page process's two settings (page_setup.py): Nagle off, loaded heap frozen.
FLOOR_APP = """import streamlit as st
from nets_search.page.setup import serve_without_nagle_delay, settle_heap
serve_without_nagle_delay()
st.title("Floor")
st.markdown('<div class="nets-card">' + (st.query_params.get("q") or "") + "</div>", unsafe_allow_html=True)
settle_heap("floor")
"""


def start_page(index: Path, corpus: Path, work: Path, app: str = "app.py") -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(os.environ, NETS_SEARCH_INDEX=str(index), NETS_SEARCH_CORPUS=str(corpus),
               NETS_SEARCH_FEEDBACK_DB=str(work / "feedback.sqlite"), NETS_SEARCH_QUERY_CACHE="0")
    env.pop("NETS_SEARCH_EDITOR", None)
    command = [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true", "--server.port",
               str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=(work / "page.log").open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"the page did not start; see {work / 'page.log'}")


class Session:
    """One browser tab, as the server sees it: a websocket that asks for reruns with a question in the URL."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = None

    async def open(self) -> None:
        self.connection = await connect(f"ws://127.0.0.1:{self.port}/_stcore/stream", max_size=None)
        # As browsers do: no Nagle delay on the client's small writes (else each rerun waits for a delayed ACK).
        self.connection.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def ask(self, question: str) -> float:
        """Seconds from sending the question to the server's "script finished" for that run. A run that drew no
        result card (an error on the page, say) raises: a fast wrong page is no figure."""
        message = BackMsg()
        message.rerun_script.query_string = urllib.parse.urlencode({"q": question})
        message.rerun_script.page_script_hash = ""
        started = time.perf_counter()
        await self.connection.send(message.SerializeToString())
        answered = False
        while True:
            raw = await self.connection.recv()
            forward = ForwardMsg()
            forward.ParseFromString(raw)
            kind = forward.WhichOneof("type")
            if kind == "delta":
                answered = answered or 'class="nets-card"' in forward.delta.new_element.markdown.body
            elif kind == "script_finished":
                if forward.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY or not answered:
                    raise RuntimeError(f"the page did not answer {question!r} (run status {forward.script_finished})")
                return time.perf_counter() - started

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()


async def run_sessions(port: int, count: int, questions: list[str], per_session: int, timeout: float = 60.0,
                       pid: int | None = None) -> dict:
    """`count` readers at once, each asking `per_session` questions in turn (reader n starts at a different place
    in the list, so they ask different things at the same moment). A failed or timed-out search is counted as an
    error (and its time kept as the timeout), never dropped."""
    sessions = [Session(port) for _ in range(count)]
    for session in sessions:
        await session.open()
        await session.ask(questions[0])  # the session's first run (its own state) is not timed
    times: list[float] = []
    errors: list[str] = []

    async def drive(number: int, session: Session) -> None:
        for step in range(per_session):
            question = questions[(number * 7919 + step) % len(questions)]
            try:
                times.append(await asyncio.wait_for(session.ask(question), timeout))
            except (asyncio.TimeoutError, RuntimeError, OSError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
                times.append(timeout)
                return  # the connection may be mid-message: this reader stops

    started = time.perf_counter()
    await asyncio.gather(*(drive(n, s) for n, s in enumerate(sessions)))
    wall = time.perf_counter() - started
    for session in sessions:
        await session.close()
    ms = np.asarray(times) * 1000.0
    return {"sessions": count, "searches": len(times), "errors": len(errors), "error_examples": errors[:3],
            "p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
            "searches_per_s": len(times) / wall, **({} if pid is None else memory_mb(pid))}


def memory_mb(pid: int) -> dict:
    """The page process's resident memory now and at its peak so far (VmRSS, VmHWM), in MB."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[{"VmRSS": "server_rss_mb", "VmHWM": "server_peak_rss_mb"}[name]] = int(value.split()[0]) / 1024
    return fields


def readers_held(runs: list[dict], p95_limit_ms: float = 1000.0) -> int:
    """The most readers at once whose p95 stayed under the limit with no error (0 if even one did not)."""
    held = [run["sessions"] for run in runs if run["p95_ms"] < p95_limit_ms and not run["errors"]]
    return max(held, default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--sessions", default="1,5,20,50", help="readers at once, comma-separated")
    parser.add_argument("--questions", type=int, default=20, help="searches per reader")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds after which a search counts as an error")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "page-load.json")
    args = parser.parse_args()
    from nets_search.build.build import BuildSettings, build_index

    questions = workloads.labelled_questions(sorted(Path(args.corpus).glob("*.jsonl"))
                                             + sorted((REPO / "examples").glob("*/*.jsonl")))
    with tempfile.TemporaryDirectory(prefix="nets-page-load-") as folder:
        work = Path(folder)
        corpus = work / "corpus"
        shutil.copytree(args.corpus, corpus)
        exported = REPO / "index" / "cache" / "onnx"
        if exported.is_dir():  # the model's ONNX export, made once per machine: reused, not made again
            shutil.copytree(exported, work / "index" / "cache" / "onnx")
        build_index(corpus, work / "index", BuildSettings())
        process, port = start_page(work / "index", corpus, work)
        try:
            runs = [asyncio.run(run_sessions(port, int(n), questions, args.questions, args.timeout, process.pid))
                    for n in args.sessions.split(",")]
        finally:
            process.terminate()
            process.wait(timeout=30)
        # Streamlit's own floor in the same run: a two-element page, one session, the same client; with the page
        # process's settings and without them (Streamlit as it comes).
        floors = {}
        for name, app in (("floor", FLOOR_APP), ("bare", BARE_APP)):
            (work / f"{name}.py").write_text(app, encoding="utf-8")
            process, port = start_page(work / "index", corpus, work, str(work / f"{name}.py"))
            try:
                floors[name] = asyncio.run(run_sessions(port, 1, questions, args.questions))
            finally:
                process.terminate()
                process.wait(timeout=30)
        floor = floors["floor"]
    result = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "corpus": str(args.corpus.name),
              "questions": len(questions), "cpu_count": os.cpu_count(), "machine": platform.machine(),
              "load_average_at_end": os.getloadavg(), "runs": runs, "readers_held_p95_under_1s": readers_held(runs),
              "streamlit_floor": floor,
              "streamlit_bare": floors["bare"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{'readers':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'searches/s':>11} {'RSS MB':>7}")
    for run in runs:
        print(f"{run['sessions']:>8} {run['p50_ms']:>8.1f} {run['p95_ms']:>8.1f} {run['errors']:>7} "
              f"{run['searches_per_s']:>11.1f} {run['server_rss_mb']:>7.0f}")
    print(f"readers at once with p95 under 1 s and no error: {result['readers_held_p95_under_1s']}")
    print(f"a two-element Streamlit page, 1 session: p50 {floor['p50_ms']:.1f} ms ({floor['searches_per_s']:.1f}/s); "
          f"without the page process's settings: p50 {floors['bare']['p50_ms']:.1f} ms")
    print(f"JSON written to {args.out}")


if __name__ == "__main__":
    main()
