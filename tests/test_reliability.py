"""Bad corpus input, driven through the `nets-search build` command: every case ends in one clear line naming the
file, and the good index that was answering before still answers, unchanged (issue 6, item 1).

test_corpus.py checks the loader's messages one by one; here each bad file is added to a corpus that already has
a good index, and the whole command is run as an editor would run it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from nets_search.cli import main as cli
from nets_search.index import store
from nets_search.build.build import build_index
from nets_search.search.searcher import Searcher

from .conftest import page

GOOD = {
    "flushing.md": page("Flushing", ("Why the face goes red", "Flushing of the skin happens when hormones enter the blood. " * 4)),
    "diet.md": page("Diet", ("Foods to avoid", "Foods rich in tryptophan such as cheese and chocolate can trigger symptoms. " * 3)),
    "sleep.md": page("Sleep", ("Resting well", "Tiredness is common and short naps can help with fatigue. " * 4)),
}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256))


@pytest.fixture(scope="module")
def template(tmp_path_factory, encoder) -> tuple[Path, Path]:
    """A good corpus and its index, built once; each test works on a copy."""
    root = tmp_path_factory.mktemp("reliability")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in GOOD.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, root / "index", encoder=encoder)
    return corpus, root / "index"


@pytest.fixture
def site(one_model, template, tmp_path, encoder, monkeypatch) -> tuple[Path, Path, str]:
    """(corpus, index, version in use): a fresh copy of the good corpus and index; the CLI gets the loaded model."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(template[0], corpus)
    shutil.copytree(template[1], index)
    return corpus, index, store.current_version(index)


def build(capsys, corpus: Path, index: Path, *flags: str) -> tuple[int, str, str]:
    code = cli.main(["build", "--corpus", str(corpus), "--index", str(index), "--quiet", *flags])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused_in_one_line(code: int, out: str, err: str, message: str) -> None:
    assert code == 2 and out == ""
    assert err.startswith("nets-search: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert message in err, err


def assert_good_index_answers(index: Path, encoder, version: str | None = None, diet=("diet",)) -> Searcher:
    """The version in use is `version` (if given), passes its checksums and answers from the good pages."""
    if version is not None:
        assert store.current_version(index) == version
        assert sorted(p.name for p in (index / "versions").iterdir()) == [version], "a version was added"
    store.open_current(index)  # format, model and checksums
    searcher = Searcher(index, encoder=encoder)
    top = searcher.search("which foods should I avoid, cheese?", k=1).results[0]
    assert top.passage.doc_id in diet and "tryptophan" in top.passage.text
    return searcher


def warning_lines(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip().startswith("warning:")]


def not_published_lines(out: str) -> list[str]:
    """The report's list of files left out (build/kept.py), near its top."""
    return [line.strip() for line in out.splitlines() if line.strip().startswith("Not published:")]


# --------------------------------------------------------------------------- files that stop the build

BAD_FILES = {
    "not-utf8": ({"café.md": "Caf\xe9 au lait, cr\xe8me br\xfbl\xe9e".encode("latin-1")}, "café.md: not valid UTF-8"),
    "binary-named-md": ({"scan.md": PNG}, "scan.md: looks like a binary file"),
    "malformed-front-matter": (
        {"fm.md": b"---\ntitle: [unclosed\nsource: https://x.org\n---\nBody text."},
        "fm.md: malformed front matter on line 2: a '[' is not closed with ']'",
    ),
    "unclosed-front-matter": ({"open.md": b"---\ntitle: Open\nBody without an end."}, "open.md: front matter starts"),
    "front-matter-not-a-mapping": ({"list.md": b"---\n- a\n- b\n---\nBody."}, "list.md: front matter must be"),
    "non-ascii-name": ({"Ernährung und Müdigkeit.md": "M\xfcde".encode("latin-1")}, "Ernährung und Müdigkeit.md: not valid UTF-8"),
    "in-a-subfolder": ({"guides/zwei wörter.md": b"\xff\xfe\x00b\x00a\x00d"}, "guides/zwei wörter.md: looks like a binary"),
}


def _write_bad_files(corpus: Path, case: str) -> str:
    files, message = BAD_FILES[case]
    for name, data in files.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_bytes(data)
    return message


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_stops_the_build_in_one_line_and_the_good_index_answers(site, capsys, encoder, case):
    corpus, index, before = site
    message = _write_bad_files(corpus, case)
    assert_refused_in_one_line(*build(capsys, corpus, index), message)
    assert_good_index_answers(index, encoder, before)


@pytest.mark.parametrize("case", BAD_FILES)
def test_skip_bad_files_names_the_file_in_one_warning_and_keeps_answering(site, capsys, encoder, case):
    corpus, index, before = site
    message = _write_bad_files(corpus, case)
    code, out, err = build(capsys, corpus, index, "--skip-bad-files")
    assert code == 0 and err == ""
    assert out.startswith("Nothing changed")  # the skipped file is not a page: the good pages are unchanged
    (listed,) = not_published_lines(out)
    assert listed.startswith(f"Not published: {message.split(': ')[0]} — ") and listed.endswith("not on the site yet.")
    assert warning_lines(out) == []
    assert_good_index_answers(index, encoder, before)


def test_a_20_mb_page_is_refused_by_name_without_being_read(site, capsys, encoder):
    corpus, index, before = site
    paragraph = "Flushing and diarrhoea are common symptoms of carcinoid syndrome. " * 15 + "\n\n"
    with (corpus / "huge.md").open("w", encoding="utf-8") as handle:
        handle.write("# A page pasted twenty times over\n\n")
        while handle.tell() < 20_000_000:
            handle.write(paragraph)
    assert_refused_in_one_line(
        *build(capsys, corpus, index), "huge.md: file is 20.0 MB, over the 5 MB limit for one page"
    )
    assert_good_index_answers(index, encoder, before)

    code, out, _ = build(capsys, corpus, index, "--skip-bad-files")
    assert code == 0 and any("huge.md — file is 20.0 MB" in line for line in not_published_lines(out))
    assert_good_index_answers(index, encoder, before)


def test_two_files_with_one_page_id_are_both_named(site, capsys, encoder):
    corpus, index, before = site
    (corpus / "diet.txt").write_text("Another page about diet, saved as text.", encoding="utf-8")
    assert_refused_in_one_line(*build(capsys, corpus, index), "diet.md and diet.txt: two pages share the id 'diet'")
    assert_good_index_answers(index, encoder, before)


def test_a_broken_glossary_stops_the_build_by_name(site, capsys, encoder):
    corpus, index, before = site
    (corpus / "glossary.yaml").write_text("tummy: [stomach\nred face: flushing\n", encoding="utf-8")
    assert_refused_in_one_line(*build(capsys, corpus, index), "glossary.yaml: not a valid glossary")
    assert_good_index_answers(index, encoder, before)


@pytest.mark.parametrize("kind", ["loop", "dangling"])
def test_a_page_link_that_leads_nowhere_is_named(site, capsys, encoder, kind):
    corpus, index, before = site
    if kind == "loop":
        os.symlink("loop-b.md", corpus / "loop-a.md")
        os.symlink("loop-a.md", corpus / "loop-b.md")
        name = "loop-a.md"
    else:
        os.symlink("deleted-page.md", corpus / "moved.md")
        name = "moved.md"
    assert_refused_in_one_line(*build(capsys, corpus, index), f"{name}: a link that leads nowhere")
    assert_good_index_answers(index, encoder, before)
    code, out, _ = build(capsys, corpus, index, "--skip-bad-files")
    assert code == 0 and any(f"{name} — a link that leads nowhere" in w for w in not_published_lines(out))
    assert_good_index_answers(index, encoder, before)


# --------------------------------------------------------------------------- files that are skipped with a warning


def test_a_folder_link_loop_is_named_and_not_followed(site, capsys, encoder):
    corpus, index, before = site
    os.symlink(".", corpus / "again")  # corpus/again/again/again/... forever
    (corpus / "guides").mkdir()
    os.symlink("..", corpus / "guides" / "up")
    code, out, err = build(capsys, corpus, index)
    assert code == 0 and err == "" and out.startswith("Nothing changed")
    warnings = warning_lines(out)
    assert any(w.startswith("warning: skipped again: a link to a folder") for w in warnings), out
    assert any(w.startswith("warning: skipped guides/up: a link to a folder") for w in warnings), out
    assert_good_index_answers(index, encoder, before)


@pytest.mark.parametrize(
    "name, data",
    [("empty.md", b""), ("blank.md", b"  \n\t\n   \n"), ("title-only.md", b"---\ntitle: Coming soon\n---\n\n")],
)
def test_an_empty_page_is_listed_as_not_published(site, capsys, encoder, name, data):
    corpus, index, before = site
    (corpus / name).write_bytes(data)
    code, out, err = build(capsys, corpus, index)
    assert code == 0 and err == "" and out.startswith("Nothing changed")
    assert out.splitlines()[1:3] == ["1 file not published:",
                                     f"  Not published: {name} — the page has no text. It is not on the site yet."]
    assert warning_lines(out) == []
    assert_good_index_answers(index, encoder, before)


def test_a_page_copied_under_another_name_builds_with_a_warning(site, capsys, encoder):
    corpus, index, before = site
    shutil.copy(corpus / "diet.md", corpus / "diet-copy.md")
    code, out, err = build(capsys, corpus, index)
    assert code == 0 and err == "" and "1 added" in out
    assert warning_lines(out) == ["warning: identical passages appear on several pages: diet, diet-copy"]
    assert store.current_version(index) != before
    assert_good_index_answers(index, encoder, diet=("diet", "diet-copy"))


def test_a_page_whose_every_passage_repeats_another_page_warns_once(site, capsys, encoder):
    corpus, index, _ = site
    sections = [
        ("Starting treatment", "Somatostatin analogues are given as an injection once a month. " * 8),
        ("Side effects", "Some people have loose stools or stomach cramps in the first weeks. " * 8),
        ("Living with it", "Most people carry on working and travelling during treatment. " * 8),
    ]
    (corpus / "treatment.md").write_text(page("Treatment", *sections), encoding="utf-8")
    # Another title, another source, the same passages: a page pasted into a second file.
    (corpus / "injections.md").write_text(page("Injections", *sections), encoding="utf-8")
    code, out, _ = build(capsys, corpus, index)
    assert code == 0
    assert warning_lines(out) == ["warning: identical passages appear on several pages: injections, treatment"]
    searcher = assert_good_index_answers(index, encoder)
    assert len([p for p in searcher.passages if p.doc_id == "treatment"]) == 3


def test_file_names_with_spaces_and_non_ascii_letters_are_indexed_and_answer(site, capsys, encoder):
    corpus, index, _ = site
    names = {
        "Müdigkeit und Schlaf.md": "Müdigkeit ist häufig; a short walk each morning eases the tiredness. " * 3,
        "qué comer.md": "Eat small meals through the day and drink plenty of water with each meal. " * 3,
        "睡眠 ガイド.txt": "Keep the bedroom dark and cool, and go to bed at the same hour each night. " * 3,
        "two  spaces & (brackets).md": "Ask your specialist nurse before you book a long-haul flight abroad. " * 3,
    }
    for name, text in names.items():
        (corpus / name).write_text(text, encoding="utf-8")
    code, out, err = build(capsys, corpus, index)
    assert code == 0 and err == "" and "4 added" in out
    ids = {name.rsplit(".", 1)[0] for name in names}
    searcher = assert_good_index_answers(index, encoder)
    assert ids <= {p.doc_id for p in searcher.passages}
    top = searcher.search("flying on holiday to another country", k=1).results[0]
    assert top.passage.doc_id == "two  spaces & (brackets)"
    assert searcher.search("dark bedroom bedtime", k=1).results[0].passage.doc_id == "睡眠 ガイド"
