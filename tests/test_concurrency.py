"""Load and concurrency: one process answers questions from 8 threads while rebuilds switch new index versions
in underneath it, and two builds started at once (issue 6, item 3).

Two corpora, "alpha" and "beta", hold the same pages with a different edition word in every passage; the index
is rebuilt from one, then the other, again and again. An answer from a complete index has passages of one
edition only, the edition of the version that answered, and as many as were asked for.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from nets_search.index import store
from nets_search.build.build import build_index
from nets_search.search.searcher import Searcher

from .conftest import REPO, library_pages_into, page

THREADS = 8
QUESTIONS_PER_THREAD = 250  # 2,000 in all
MIN_SWITCHES = 4  # versions switched in while the questions are answered
K = 5
TOPICS = {
    "flushing": "The face and neck can go red and feel hot when hormones reach the blood.",
    "diet": "Cheese, chocolate and alcohol can set off symptoms for some people.",
    "sleep": "Tiredness is common; short naps and a regular bedtime can help.",
    "travel": "Carry a letter from your specialist and your medicines in hand luggage.",
    "scans": "A scan shows where the tumours are and whether they have grown.",
    "injections": "Injections once a month can ease flushing and diarrhoea.",
    "exercise": "Gentle walking most days keeps up strength during treatment.",
    "work": "Many people keep working; tell your employer what adjustments help.",
}
QUESTIONS = [
    "why does my face go red", "what foods should I avoid", "I am always tired", "can I fly abroad",
    "what does a scan show", "do the injections help diarrhoea", "is exercise safe", "can I keep my job",
    "cheese and chocolate", "hot flushes in the neck", "naps", "hand luggage medicines", "tumour growth",
    "monthly injection", "walking", "employer adjustments",
]


def edition_corpus(folder: Path, edition: str) -> Path:
    folder.mkdir(parents=True)
    for name, text in TOPICS.items():
        (folder / f"{name}.md").write_text(
            page(name.capitalize(), ("About", f"{text} This is the {edition} edition. " * 3)), encoding="utf-8"
        )
    return folder


class QueryMemo:
    """The real encoder, with each distinct question encoded once: 2,000 model calls would take a minute on two
    cores and prove nothing more. Retrieval (FAISS, BM25, fusion) still runs in full for every question."""

    def __init__(self, encoder) -> None:
        self._encoder = encoder
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray] = {}
        self.key, self.backend = encoder.key, encoder.backend

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in texts if t not in self._vectors]
            if missing:
                self._vectors.update(zip(missing, self._encoder.encode_queries(missing)))
            return np.stack([self._vectors[t] for t in texts])

    def __getattr__(self, name: str):
        return getattr(self._encoder, name)


@pytest.fixture(params=["small", "library"])
def editions(request, tmp_path, encoder) -> tuple[dict[str, Path], Path]:
    """Both corpora embedded once (so rebuilds read the cache), the index answering from 'alpha'. With "library",
    each edition also holds the NETs library's 31 pages (their vectors from the session's library build)."""
    corpora = {e: edition_corpus(tmp_path / e, e) for e in ("alpha", "beta")}
    index = tmp_path / "index"
    if request.param == "library":
        library_index = request.getfixturevalue("library_index")
        for folder in corpora.values():
            library_pages_into(folder)
        (index / "cache").mkdir(parents=True)
        shutil.copy(library_index / "cache" / "embeddings.sqlite", index / "cache" / "embeddings.sqlite")
    build_index(corpora["beta"], index, encoder=encoder)
    build_index(corpora["alpha"], index, encoder=encoder)
    return corpora, index


def test_2000_questions_from_8_threads_during_rebuilds_all_come_from_one_complete_version(editions, encoder):
    corpora, index = editions
    memo = QueryMemo(encoder)
    edition_of: dict[str, str] = {store.current_version(index): "alpha"}
    slot = {"searcher": Searcher(index, encoder=memo)}
    slot_lock = threading.Lock()
    done = threading.Event()
    errors: list[str] = []
    answers: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []  # (version, passage ids, editions seen)
    latencies: list[float] = []
    switches = {"count": 0}

    def get_searcher() -> Searcher:
        """As the page does: reload (keeping the model) when a newer version is switched in on disk."""
        with slot_lock:
            if slot["searcher"].is_stale():
                slot["searcher"] = Searcher(index, encoder=memo)
            return slot["searcher"]

    def rebuild() -> None:
        edition = "beta"
        while not done.is_set():
            try:
                report = build_index(corpora[edition], index, encoder=memo)
            except Exception as exc:  # noqa: BLE001 - any failure is a finding
                errors.append(f"build: {type(exc).__name__}: {exc}")
                return
            edition_of[report.version] = edition
            switches["count"] += 1
            edition = "alpha" if edition == "beta" else "beta"

    def ask(thread: int) -> None:
        asked = 0
        while asked < QUESTIONS_PER_THREAD or (switches["count"] < MIN_SWITCHES and not errors):
            question = QUESTIONS[(thread + asked) % len(QUESTIONS)]
            started = time.perf_counter()
            try:
                searcher = get_searcher()
                response = searcher.search(question, k=K)
            except Exception as exc:  # noqa: BLE001 - any failure is a finding
                errors.append(f"question {question!r}: {type(exc).__name__}: {exc}")
                return
            latencies.append(time.perf_counter() - started)
            passages = [r.passage for r in response.results]
            seen = tuple(sorted({e for p in passages for e in ("alpha", "beta") if f"{e} edition" in p.text}))
            answers.append((searcher.version, tuple(p.passage_id for p in passages), seen))
            asked += 1

    builder = threading.Thread(target=rebuild)
    askers = [threading.Thread(target=ask, args=(n,)) for n in range(THREADS)]
    began = time.perf_counter()
    builder.start()
    for thread in askers:
        thread.start()
    for thread in askers:
        thread.join(timeout=300)
    done.set()
    builder.join(timeout=60)
    wall = time.perf_counter() - began

    assert not errors, errors[:5]
    assert len(answers) >= THREADS * QUESTIONS_PER_THREAD
    for version, ids, seen in answers:
        assert len(ids) == len(set(ids)) == K, "an answer from an incomplete index"
        assert set(seen) <= {edition_of[version]}, f"version {version} ({edition_of[version]}) answered with {seen}"
    assert sum(bool(seen) for _, _, seen in answers) > len(answers) / 2  # the edition pages do answer
    versions_seen = {version for version, _, _ in answers}
    assert len(versions_seen) >= 2, "no new version was switched in while the questions were answered"
    kept = sorted(p.name for p in (index / "versions").iterdir())
    assert len(kept) == min(store.KEEP_VERSIONS, len(edition_of)) and kept[-1] == store.current_version(index)

    ms = sorted(1000 * t for t in latencies)
    pct = {p: ms[min(len(ms) - 1, int(len(ms) * p / 100))] for p in (50, 90, 95, 99)}
    print(
        f"\n{len(answers)} questions from {THREADS} threads in {wall:.1f} s ({len(answers) / wall:.0f}/s), "
        f"{switches['count']} rebuilds switched in, answers from {len(versions_seen)} versions; latency ms: "
        + ", ".join(f"p{p} {v:.1f}" for p, v in pct.items())
        + f", max {ms[-1]:.1f}, mean {statistics.fmean(ms):.1f}"
    )


def test_version_names_made_in_one_second_sort_in_the_order_they_were_made():
    """Rebuilds a second apart or less must still prune the oldest versions, never the newest."""
    names = [store.new_version_name() for _ in range(500)]
    assert names == sorted(names) and len(set(names)) == len(names)


SLOW_BUILD = r"""
import sys, time
from nets_search.build import build
from nets_search.cli import main as cli

real_load = build.load_corpus
def slow_load(*args, **kwargs):  # called once the build lock is held: keep it long enough to overlap
    print("holding the lock", file=sys.stderr, flush=True)
    time.sleep(float(sys.argv[3]))
    return real_load(*args, **kwargs)
build.load_corpus = slow_load
sys.exit(cli.main(["build", "--corpus", sys.argv[1], "--index", sys.argv[2], "--quiet"]))
"""


def test_two_builds_started_at_once_one_builds_the_other_refuses_cleanly(editions, encoder):
    corpora, index = editions
    before = store.current_version(index)
    command = [sys.executable, "-c", SLOW_BUILD, str(corpora["beta"]), str(index), "5"]
    first, second = (subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(2))
    outcomes = sorted((p.wait(timeout=120), *p.communicate(), p.pid) for p in (first, second))

    (ok, ok_out, ok_err, ok_pid), (refused, refused_out, refused_err, _) = outcomes
    assert ok == 0 and ok_out.startswith("Built index") and ok_err == "holding the lock\n"
    assert refused == 2 and refused_out == ""
    assert refused_err == (
        f"nets-search: error: another build is running (pid {ok_pid}); wait for it to finish\n"
    ), refused_err
    assert store.current_version(index) not in (None, before)
    answer = Searcher(index, encoder=encoder).search("can I fly abroad", k=K)
    assert "beta edition" in answer.results[0].passage.text and len(answer.results) == K
    assert not any("alpha edition" in r.passage.text for r in answer.results)
