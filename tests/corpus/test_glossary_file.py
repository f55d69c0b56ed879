"""The glossary edited line by line from the editor panel: comments and order kept, every edit read back as the
build reads it, refusals in an editor's words, and a failed write leaving the file as it was."""

from __future__ import annotations

import pytest

from nets_search.corpus import glossary_file as gf
from nets_search.corpus.glossary import Glossary

TEXT = """# Lay words readers type -> the words our pages use.
tummy: stomach

# bowels
the runs: diarrhoea
poo:
  - bowel
  - diarrhoea
flushes: [flushing, "hot flushes"]
"""


@pytest.fixture
def glossary(tmp_path):
    path = tmp_path / "glossary.yaml"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_entries_are_read_as_the_search_reads_them(glossary):
    found = gf.entries(glossary.read_text())
    assert [(e.term, e.expansion) for e in found] == [("tummy", "stomach"), ("the runs", "diarrhoea"),
                                                      ("poo", "bowel diarrhoea"), ("flushes", "flushing hot flushes")]
    assert dict(Glossary.load(glossary).entries) == {e.term: e.expansion for e in found}


def test_adding_keeps_every_comment_and_line_and_appends_one(glossary):
    assert gf.add_entry(glossary, "  Jab ", " injection ") == ("jab", "injection")
    assert glossary.read_text() == TEXT + "jab: injection\n"
    assert dict(Glossary.load(glossary).entries)["jab"] == "injection"


def test_changing_a_multi_line_entry_replaces_its_lines_only(glossary):
    gf.add_entry(glossary, "poo", "bowel movements", replacing="poo")
    assert glossary.read_text() == TEXT.replace("poo:\n  - bowel\n  - diarrhoea\n", "poo: bowel movements\n")


def test_removing_an_entry_leaves_the_rest_as_written(glossary):
    gf.remove_entry(glossary, "the runs")
    assert glossary.read_text() == TEXT.replace("the runs: diarrhoea\n", "")
    with pytest.raises(gf.GlossaryEditError, match="not in the list any more"):
        gf.remove_entry(glossary, "the runs")


@pytest.mark.parametrize(("term", "ours", "said"), [
    ("", "injection", "Fill in both sides"),
    ("jab", "   ", "Fill in both sides"),
    ("Tummy", "belly", "already in the list"),
    ("jab", "JAB", "the same words"),
    ("x" * 61, "injection", "under 60 characters"),
])
def test_a_refused_entry_says_why_and_changes_nothing(glossary, term, ours, said):
    with pytest.raises(gf.GlossaryEditError, match=said):
        gf.add_entry(glossary, term, ours)
    assert glossary.read_text() == TEXT


def test_an_expansion_most_passages_hold_is_refused(glossary):
    with pytest.raises(gf.GlossaryEditError, match="on most of our pages"):
        gf.add_entry(glossary, "jab", "nets", too_common=lambda words: words == "nets")
    assert glossary.read_text() == TEXT


@pytest.mark.parametrize("text", ["yes", "on: a # b", "1984", "it's \"quoted\"", "ünïcode words", "- dash"])
def test_any_text_is_written_so_it_reads_back_the_same(glossary, text):
    gf.add_entry(glossary, "odd words", text)
    assert dict(Glossary.load(glossary).entries)["odd words"] == " ".join(text.split())


def test_a_missing_file_is_started_and_a_broken_one_is_not_touched(tmp_path):
    path = tmp_path / "glossary.yaml"
    gf.add_entry(path, "jab", "injection")
    assert path.read_text() == "jab: injection\n"
    path.write_text("tummy: [stomach\n")
    with pytest.raises(Exception, match="glossary.yaml"):
        gf.add_entry(path, "jab", "injection")
    assert path.read_text() == "tummy: [stomach\n"


def test_a_failed_write_leaves_the_file_as_it_was(glossary, monkeypatch):
    def full_disk(path, data, suffix=".tmp"):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gf, "replace_file", full_disk)
    with pytest.raises(OSError):
        gf.add_entry(glossary, "jab", "injection")
    assert glossary.read_text() == TEXT
    assert [p.name for p in glossary.parent.iterdir()] == ["glossary.yaml"]


def test_a_link_out_of_the_corpus_folder_is_refused(tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("tummy: stomach\n")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "glossary.yaml").symlink_to(outside)
    with pytest.raises(Exception):
        gf.add_entry(corpus / "glossary.yaml", "jab", "injection")
    assert outside.read_text() == "tummy: stomach\n"
