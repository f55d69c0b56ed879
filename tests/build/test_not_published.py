"""A broken page never blocks the others (issue 29, item 3): publishing leaves out a file that cannot be read or has
no text, lists it with its line, keeps the previous version of a page that was published, and adds no new broken
page; a strict build stops and publishes nothing."""

from __future__ import annotations

import shutil

import pytest

from nets_search.build.build import BuildSettings, build_index
from nets_search.build.changes import pending_changes
from nets_search.build.rebuild import rebuild_and_check
from nets_search.corpus.passages import SplitSettings
from nets_search.errors import UnreadableFilesError
from nets_search.index import store
from nets_search.search.searcher import Searcher
from nets_search.types import NotPublished

from ..conftest import SEED_CORPUS, page

DIET = page("Diet", ("Foods to avoid", "Foods rich in tryptophan such as cheese and chocolate can trigger symptoms. " * 3))
BROKEN_DIET = ('---\ntitle: "Diet\nsource: https://example.org/diet\n---\n## Foods to avoid\n\n'
               "Grapefruit juice changes how some medicines work. " * 3 + "\n")
TRAVEL = page("Travel", ("Before you fly", "Tell your travel insurer about your diagnosis and carry a letter from your "
                                           "specialist nurse about your injections. " * 2))
NEW_BROKEN = "---\ntitle: Exercise\n\tsource: x\n---\n## Walking\n\nGentle walking keeps your energy up.\n"
FOODS = "which foods should I avoid, cheese?"


@pytest.fixture
def published(tmp_path, one_model):
    """A copy of the seed corpus with a diet page, published once."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEED_CORPUS, corpus)
    (corpus / "diet.md").write_text(DIET, encoding="utf-8")
    rebuild_and_check(corpus, index)
    return corpus, index


def _break_and_add(corpus) -> None:
    (corpus / "diet.md").write_text(BROKEN_DIET, encoding="utf-8")
    (corpus / "travel.md").write_text(TRAVEL, encoding="utf-8")
    (corpus / "exercise.md").write_text(NEW_BROKEN, encoding="utf-8")
    (corpus / "empty.md").write_text("", encoding="utf-8")


def _top(index, question: str, encoder):
    return Searcher(index, encoder=encoder).search(question, k=1).results[0].passage


def test_publishing_leaves_out_the_broken_pages_and_lists_them(published, encoder):
    corpus, index = published
    _break_and_add(corpus)
    done = rebuild_and_check(corpus, index)  # the editor panel's publish: skipping is its default
    report = done.report
    assert report.not_published == (
        NotPublished("diet.md", "a quote is not closed", 2, previous_kept=True, was_published=True),
        NotPublished("empty.md", "the page has no text"),
        NotPublished("exercise.md", "a tab is used for spacing; YAML takes only spaces", 3),
    )
    assert report.added == ("travel",) and report.changed == () and report.removed == ()
    lines = done.summary().splitlines()
    assert lines[1:5] == [
        "Published 2 pages; 3 not published:",
        "  Not published: diet.md — line 2: a quote is not closed. Readers still see the previous version of this page.",
        "  Not published: empty.md — the page has no text. It is not on the site yet.",
        "  Not published: exercise.md — line 3: a tab is used for spacing; YAML takes only spaces. It is not on the "
        "site yet.",
    ]
    travel = _top(index, "should I tell my travel insurer before I fly?", encoder)
    assert travel.doc_id == "travel"  # the good new page answers
    diet = _top(index, FOODS, encoder)
    assert diet.doc_id == "diet" and "tryptophan" in diet.text  # the previous text of the page that broke
    searcher = Searcher(index, encoder=encoder)
    assert not any("Grapefruit" in p.text for p in searcher.passages)
    assert not {p.doc_id for p in searcher.passages} & {"exercise", "empty"}  # new broken pages are not added
    assert "diet.md (cannot be read)" in pending_changes(corpus, index)[1]  # still waiting to be fixed


def test_a_page_still_broken_stays_as_it_was_and_once_fixed_is_published(published, encoder):
    corpus, index = published
    _break_and_add(corpus)
    first = rebuild_and_check(corpus, index).report
    again = rebuild_and_check(corpus, index).report
    assert again.nothing_changed and again.version == first.version and again.not_published == first.not_published
    assert "3 files not published:" in rebuild_and_check(corpus, index).summary()
    (corpus / "diet.md").write_text(BROKEN_DIET.replace('"Diet', "Diet"), encoding="utf-8")
    fixed = rebuild_and_check(corpus, index).report
    assert fixed.changed == ("diet",) and [item.file for item in fixed.not_published] == ["empty.md", "exercise.md"]
    assert "Grapefruit" in _top(index, "does grapefruit juice change how my medicines work?", encoder).text


def test_the_previous_version_is_kept_when_the_version_in_use_was_built_with_other_settings(published, encoder):
    """Its passages are then read back from the passage store and analysed again; vectors come from the cache."""
    corpus, index = published
    _break_and_add(corpus)
    settings = BuildSettings(split=SplitSettings(max_words=150))
    report = build_index(corpus, index, settings, encoder=encoder)
    assert report.not_published[0].previous_kept
    diet = _top(index, FOODS, encoder)
    assert diet.doc_id == "diet" and "tryptophan" in diet.text


def test_a_strict_build_stops_on_a_broken_page_and_publishes_nothing(published, encoder):
    corpus, index = published
    before = store.current_version(index)
    _break_and_add(corpus)
    with pytest.raises(UnreadableFilesError) as caught:
        build_index(corpus, index, BuildSettings(strict=True), encoder=encoder)
    assert str(caught.value).startswith("2 files cannot be read: diet.md: malformed front matter on line 2: a quote "
                                        "is not closed; exercise.md: malformed front matter on line 3")
    assert store.current_version(index) == before
