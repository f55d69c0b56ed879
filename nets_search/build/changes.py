"""What changed between the corpus on disk and the index in use: a content hash per page (and for the glossary and
the labelled questions, which shape a version too), compared name by name. Cheap: no model, no index files read
but the manifest."""

from __future__ import annotations

import json
from pathlib import Path

from nets_search.index import store
from nets_search.corpus.pages import EMPTY_PAGE, Unreadable, load_corpus
from nets_search.corpus.files import corpus_question_files, read_inside
from nets_search.errors import CorpusError, NetsSearchError
from nets_search.evaluate.golden import MAX_GOLDEN_BYTES
from nets_search.corpus.glossary import GLOSSARY_FILE, Glossary
from nets_search.text import sha256_text
from nets_search.types import Manifest, Page


def corpus_glossary(corpus: Path) -> Glossary:
    return Glossary.load(corpus / GLOSSARY_FILE) if corpus.is_dir() else Glossary()


def file_hashes(pages: list[Page], glossary: Glossary, corpus: Path | None = None) -> dict[str, str]:
    """Content hash per page, plus the glossary's and the labelled questions' (they set the version's
    calibration): an edit of either is a change too."""
    files = {p.doc_id: p.content_hash for p in pages}
    if glossary.entries:
        files[GLOSSARY_FILE] = sha256_text(json.dumps(glossary.to_dict(), sort_keys=True))
    if corpus is not None and corpus.is_dir():
        for path in corpus_question_files(corpus):
            try:  # read as the build reads it: no pipe waited on, no link out followed, within the size limit
                data = read_inside(path, corpus, MAX_GOLDEN_BYTES, "a golden-question file")
            except CorpusError:  # left out, as the calibration leaves it out (load_golden refuses it too)
                continue
            files[path.name] = sha256_text(_as_text(data))
    return files


def _as_text(data: bytes) -> str:
    """The text the hash is taken of, as it always was (read_text with errors="replace": universal newlines), so
    upgrading does not make every labelled-question file look changed."""
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def previous_manifest(index_dir: Path) -> Manifest | None:
    """The manifest in use, if it can be read; a damaged index is simply rebuilt."""
    try:
        return store.current_manifest(index_dir)
    except NetsSearchError:
        return None


def compare(before: dict[str, str], after: dict[str, str]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    added = tuple(sorted(k for k in after if k not in before))
    changed = tuple(sorted(k for k in after if k in before and before[k] != after[k]))
    removed = tuple(sorted(k for k in before if k not in after))
    return added, changed, removed


def pending_changes(corpus: Path, index_dir: Path) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(added, changed, removed) pages between the corpus on disk and the index in use; cheap, no model.

    Raises CorpusError if the corpus cannot be read.
    """
    previous = previous_manifest(Path(index_dir))
    loaded = load_corpus(Path(corpus), skip_bad_files=True)
    before = previous.files if previous else {}
    added, changed, removed = compare(before, file_hashes(list(loaded.pages), corpus_glossary(Path(corpus)), Path(corpus)))
    # A file that cannot be read (or has no text) is a change too: the next build leaves it out, keeping the
    # page's previous version, and the editor must hear so now.
    bad = {u.doc_id or u.file: f"{u.file} ({_why(u)})" for u in loaded.unreadable}
    removed = tuple(r for r in removed if r not in bad)
    added += tuple(label for doc_id, label in bad.items() if doc_id not in before)
    changed += tuple(label for doc_id, label in bad.items() if doc_id in before)
    return added, changed, removed


def _why(unreadable: Unreadable) -> str:
    return "has no text" if unreadable.reason == EMPTY_PAGE else "cannot be read"
