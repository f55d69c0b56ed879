"""`nets-search build` and a file that cannot be read: strict by default (nothing published, and the message says
so and how to publish the rest); with --skip-bad-files the rest is published and the report says what was not."""

from __future__ import annotations

from nets_search.cli import main as cli
from nets_search.index import store
from nets_search.search.searcher import Searcher

from ..conftest import page

PAGES = {
    "flushing.md": page("Flushing", ("Why the face goes red", "Flushing of the skin happens when hormones enter the blood. " * 4)),
    "octreotide.md": page("Octreotide", ("Injections", "Octreotide injections are given once a month to control "
                                                       "flushing and diarrhoea. " * 3)),
}
BROKEN = '---\ntitle: "Octreotide\n---\n## Injections\n\nLanreotide is given by deep injection.\n'


def _build(capsys, corpus, index, *flags: str) -> tuple[int, str, str]:
    code = cli.main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet", *flags])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_line_is_strict_unless_told_to_skip(make_corpus, tmp_path, capsys, one_model):
    corpus, index = make_corpus(PAGES), tmp_path / "index"
    assert _build(capsys, corpus, index)[0] == 0
    before = store.current_version(index)
    (corpus / "octreotide.md").write_text(BROKEN, encoding="utf-8")
    (corpus / "sleep.md").write_text(page("Sleep", ("Resting", "Short naps help with tiredness. " * 4)), encoding="utf-8")

    code, out, err = _build(capsys, corpus, index)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err == ("nets-search: error: octreotide.md: malformed front matter on line 2: a quote is not closed. "
                   "Nothing was published: readers still see the version in use. To publish the other pages and "
                   "list these, build again with --skip-bad-files.\n")
    assert store.current_version(index) == before

    code, out, err = _build(capsys, corpus, index, "--skip-bad-files")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("Built index ") and lines[1:3] == [
        "Published 2 pages; 1 not published:",
        "  Not published: octreotide.md — line 2: a quote is not closed. Readers still see the previous version of "
        "this page.",
    ]
    searcher = Searcher(index, encoder=one_model)
    assert {p.doc_id for p in searcher.passages} == {"flushing", "octreotide", "sleep"}
    assert not any("Lanreotide" in p.text for p in searcher.passages)


def test_the_help_says_what_skipping_does(capsys):
    try:
        cli.main(["build", "--help"])
    except SystemExit:
        pass
    out = " ".join(capsys.readouterr().out.split())
    assert "a page already published keeps its previous version" in out and "nothing is published" in out
