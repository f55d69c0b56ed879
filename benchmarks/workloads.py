"""What the benchmark feeds the systems: questions, corpora and the naive baseline's 180-word windows.

Pure functions of files and a seed; deterministic, so two runs measure the same work.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from nets_search.corpus.pages import load_corpus
from nets_search.text import sentences

WINDOW_WORDS = 180
PAGE_SUFFIXES = (".md", ".markdown", ".txt")

_TEMPLATES = (
    "what does it mean that {s}",
    "is it true that {s}?",
    "can you explain: {s}",
    "{s}",
    "{w}?",
    "tell me about {w}",
    "what should I know about {w}",
)


# --------------------------------------------------------------------------- questions


def medquad_questions(path: Path) -> list[str]:
    """Distinct question texts of a BEIR queries.jsonl, in file order."""
    out: list[str] = []
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                out.append(str(record.get("text") or record.get("question") or ""))
    return list(dict.fromkeys(q for q in out if q.strip()))


def labelled_questions(files: list[Path]) -> list[str]:
    """Distinct question texts of golden-question files (in scope and out of scope alike), in file order: the lay
    questions people ask of the NETs pages, for timing searches of the seed index."""
    out: list[str] = []
    for path in files:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(str(json.loads(line).get("question", "")))
    return list(dict.fromkeys(q for q in out if q.strip()))


def seed_questions(corpus: Path, count: int) -> list[str]:
    """`count` distinct questions about the seed corpus: its golden questions first (real lay wording), then
    questions made from its sentences and short word runs with a few templates."""
    questions: list[str] = []
    golden = Path(corpus) / "golden-questions.jsonl"
    if golden.is_file():
        for line in golden.read_text(encoding="utf-8").splitlines():
            if line.strip():
                questions.append(str(json.loads(line).get("question", "")))
    texts = [s for page in load_corpus(Path(corpus), skip_bad_files=True).pages for s in sentences(page.body)]
    clean = [" ".join(re.sub(r"[#*|>_`\[\]()]", " ", t).split()) for t in texts]
    clean = [c.lstrip("-• ") for c in clean]
    clean = [c for c in clean if len(c.split()) >= 4]
    rng = random.Random(5)
    fragments: list[tuple[str, str]] = []
    for sentence in clean:
        words = sentence.split()
        short = " ".join(words[:16]).rstrip(".?!").lower()
        for start in range(0, max(1, len(words) - 3), 3):
            fragments.append((short, " ".join(words[start : start + 4]).strip(".,;:").lower()))
    rng.shuffle(fragments)
    for round_ in range(len(_TEMPLATES)):
        for number, (short, window) in enumerate(fragments):
            template = _TEMPLATES[(number + round_) % len(_TEMPLATES)]
            questions.append(template.format(s=short, w=window))
    unique = list(dict.fromkeys(q for q in questions if q.strip()))
    if len(unique) < count:
        raise SystemExit(f"the seed corpus gives only {len(unique)} distinct questions; {count} were asked for")
    return unique[:count]


# --------------------------------------------------------------------------- corpora


def first_jsonl_docs(source: Path, target: Path, count: int) -> int:
    """Copy the first `count` lines of a BEIR corpus.jsonl; returns how many were written."""
    written = 0
    with Path(source).open(encoding="utf-8") as src, Path(target).open("w", encoding="utf-8") as out:
        for line in src:
            if written >= count:
                break
            if line.strip():
                out.write(line if line.endswith("\n") else line + "\n")
                written += 1
    return written


def generated_corpus(seed_corpus: Path, target: Path, count: int) -> int:
    """A JSONL corpus of `count` distinct pages of 150-450 words, recombined from the seed corpus's sentences
    (so the text looks like our content), each with a numbered title."""
    texts = [s for page in load_corpus(Path(seed_corpus), skip_bad_files=True).pages for s in sentences(page.body)]
    texts = [" ".join(t.split()) for t in texts if len(t.split()) >= 3]
    rng = random.Random(11)
    with Path(target).open("w", encoding="utf-8") as out:
        for number in range(count):
            goal, body = rng.randint(150, 450), []
            while sum(len(s.split()) for s in body) < goal:
                body.append(rng.choice(texts))
            record = {"_id": f"gen{number:05d}", "title": f"Generated page {number}", "text": " ".join(body)}
            out.write(json.dumps(record) + "\n")
    return count


def edit_jsonl(source: Path, target: Path, edit: int | None = None, delete: int | None = None) -> str:
    """Copy a JSONL corpus with line `edit` changed (one sentence appended) or line `delete` left out;
    returns the affected document's id."""
    lines = Path(source).read_text(encoding="utf-8").splitlines()
    number = edit if edit is not None else delete
    record = json.loads(lines[number])
    if edit is not None:
        record["text"] = record.get("text", "") + " This sentence was added by the benchmark to edit one page."
        lines[number] = json.dumps(record)
    else:
        del lines[number]
    Path(target).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(record.get("_id"))


def jsonl_ids(path: Path) -> list[str]:
    with Path(path).open(encoding="utf-8") as handle:
        return [str(json.loads(line).get("_id")) for line in handle if line.strip()]


# --------------------------------------------------------------------------- the naive baseline's input


def raw_documents(corpus: Path) -> list[str]:
    """Every document's plain text as a naive pipeline reads it: whole files, or title + text per JSONL line."""
    corpus = Path(corpus)
    if corpus.is_file():
        docs = []
        with corpus.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    docs.append(f"{record.get('title', '')}\n{record.get('text', '')}")
        return docs
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES)
    return [p.read_text(encoding="utf-8") for p in files if not p.name.startswith((".", "_"))]


def windows(docs: list[str], size: int = WINDOW_WORDS) -> list[str]:
    """Plain, non-overlapping `size`-word windows of every document."""
    out = []
    for doc in docs:
        words = doc.split()
        out.extend(" ".join(words[i : i + size]) for i in range(0, len(words), size))
    return out
