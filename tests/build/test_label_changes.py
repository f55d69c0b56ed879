"""Each build names, in plain words, the labelled questions a reader is now shown differently (label_changes.py)."""

from __future__ import annotations

import shutil

import pytest

from nets_search.build.label_changes import LabelChange, Shown, label_changes
from nets_search.build.rebuild import rebuild_and_check
from nets_search.cli import main as cli

from ..conftest import SEED_CORPUS

STRONG, RELATED, NO_MATCH = Shown("strong", False), Shown("related", False), Shown("weak", True)


def test_a_change_of_label_is_said_in_words():
    assert LabelChange("What foods should I avoid?", STRONG, RELATED).words() == (
        "'What foods should I avoid?' was a strong match, now shown as related")
    assert LabelChange("my husband has diarea at night", RELATED, NO_MATCH).words() == (
        "'my husband has diarea at night' was answered (related), now 'no good match'")
    assert LabelChange("how does lanreotide work", NO_MATCH, Shown("good", False)).words() == (
        "'how does lanreotide work' was 'no good match', now answered (shown as a good match)")
    long = LabelChange("why " * 100, STRONG, RELATED).words()
    assert len(long) < 200 and "…' was a strong match" in long


def test_only_questions_shown_differently_are_changes():
    before = {"a": STRONG, "b": RELATED, "c": NO_MATCH}
    after = {"a": STRONG, "b": STRONG, "c": NO_MATCH, "new": RELATED}
    assert label_changes(before, after) == [LabelChange("b", RELATED, STRONG)]


@pytest.mark.usefixtures("one_model")
def test_a_build_that_changes_no_label_says_so_in_one_line(tmp_path, encoder, capsys):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEED_CORPUS, corpus)
    first = rebuild_and_check(corpus, index, encoder=encoder)
    assert first.labels == ("labels: first version, nothing to compare with",)
    assert cli.main(["build", "--corpus", str(corpus), "--index", str(index), "--force", "--quiet"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  labels")]
    assert len(lines) == 1 and lines[0].startswith("  labels unchanged: all ")
    assert f"shown as by version {first.report.version}" in lines[0]


def test_a_page_that_answers_a_question_labelled_out_of_scope_is_named(tmp_path, encoder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEED_CORPUS, corpus)
    rebuild_and_check(corpus, index, encoder=encoder)
    (corpus / "lanreotide.md").write_text(
        "---\ntitle: Lanreotide\n---\n\n# How lanreotide injections work\n\nLanreotide is an injection that slows "
        "the release of hormones from a NET. It works by attaching to the tumour cells, and is given every four "
        "weeks into the buttock.\n", encoding="utf-8")
    done = rebuild_and_check(corpus, index, encoder=encoder)
    assert done.labels[0].startswith("labels changed for ")
    assert "  'how does lanreotide injection work' was 'no good match', now answered" in "\n".join(done.labels)
    assert "'how does lanreotide injection work' was 'no good match'" in done.summary()
