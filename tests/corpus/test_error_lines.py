"""A file that cannot be read names the line to fix, counted in the file as an editor's text editor counts it (the
opening '---' is line 1), and says what is wrong there in plain words; an empty page is listed beside it."""

from __future__ import annotations

import pytest

from nets_search.corpus.pages import EMPTY_PAGE, describe, load_corpus
from nets_search.errors import CorpusError, UnreadableFilesError

BROKEN = [
    pytest.param('---\ntitle: "Octreotide\nsource: https://example.org\n---\n# Octreotide\n\nMonthly injections.\n',
                 2, "a quote is not closed", id="unclosed-quote-line-2"),
    pytest.param("---\ntitle: 'Octreotide\n---\nBody.\n", 2, "a quote is not closed", id="unclosed-single-quote"),
    pytest.param("---\ntitle: Octreotide\n  source: https://example.org\n---\nBody.\n", 3,
                 "a ':' where none is expected; check the indentation", id="bad-indent"),
    pytest.param("---\ntitle: Octreotide\ntags:\n  - dose\n - timing\n---\nBody.\n", 5,
                 "the indentation does not line up with the lines above", id="bad-indent-in-a-list"),
    pytest.param("---\ntitle: Octreotide\n\tsource: https://example.org\n---\nBody.\n", 3,
                 "a tab is used for spacing; YAML takes only spaces", id="tab"),
    pytest.param("---\ntitle: Octreotide\nsource: x\n\n# Octreotide\n\nBody without an end.\n", 1,
                 "the front matter starts with '---' here but has no closing '---'", id="no-closing-dashes"),
    pytest.param("---\ntitle: [Octreotide\nsource: x\n---\nBody.\n", 2, "a '[' is not closed with ']'",
                 id="unclosed-bracket"),
    pytest.param("# Octreotide\n\nFirst line.\nSecond line has caf\xe9.\n", 4,
                 "not valid UTF-8 text (byte 45); re-save it as UTF-8", id="not-utf8-on-line-4"),
]


def _write(folder, name: str, text: str) -> None:
    data = text.encode("latin-1") if "\xe9" in text else text.encode("utf-8")
    (folder / name).write_bytes(data)


@pytest.mark.parametrize("text, line, reason", BROKEN)
def test_a_broken_page_names_its_line_and_what_is_wrong(tmp_path, text, line, reason):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.md").write_text("# Diet\n\nSmall meals help.\n", encoding="utf-8")
    _write(folder, "octreotide.md", text)
    report = load_corpus(folder, skip_bad_files=True)
    assert [p.doc_id for p in report.pages] == ["good"] and report.bad_files == ("octreotide.md",)
    (listed,) = report.unreadable
    assert (listed.file, listed.doc_id, listed.line) == ("octreotide.md", "octreotide", line)
    assert listed.reason.startswith(reason)
    assert describe(listed).startswith(f"octreotide.md — line {line}: {reason}")
    with pytest.raises(UnreadableFilesError) as caught:  # strict: stops, with the same line in its one-line message
        load_corpus(folder)
    assert caught.value.line == line and f"line {line}" in str(caught.value) and "\n" not in str(caught.value)


def test_the_unclosed_quote_of_the_issue_is_blamed_on_line_2_not_where_yaml_gave_up(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "octreotide.md").write_text('---\ntitle: "Octreotide\nsource: a\nreviewed: 2024-01-01\n---\nBody.\n')
    (folder / "good.md").write_text("Good text.")
    with pytest.raises(CorpusError) as caught:
        load_corpus(folder)
    assert str(caught.value) == "octreotide.md: malformed front matter on line 2: a quote is not closed"


def test_an_empty_page_is_listed_with_the_unreadable_ones_in_either_mode(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.md").write_text("Good text.")
    (folder / "empty.md").write_text("")
    (folder / "title-only.md").write_text("---\ntitle: Coming soon\n---\n\n")
    for skip in (False, True):
        report = load_corpus(folder, skip_bad_files=skip)
        assert [(u.file, u.reason) for u in report.unreadable] == [("empty.md", EMPTY_PAGE),
                                                                   ("title-only.md", EMPTY_PAGE)]
        assert report.warnings == () and report.bad_files == ()


def test_a_corpus_with_no_readable_page_names_the_broken_ones(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "octreotide.md").write_text('---\ntitle: "Octreotide\n---\nBody.\n')
    with pytest.raises(CorpusError) as caught:
        load_corpus(folder, skip_bad_files=True)
    assert "no page can be published: octreotide.md — line 2: a quote is not closed" in str(caught.value)
