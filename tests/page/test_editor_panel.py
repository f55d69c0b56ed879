"""The editor panel's undo, synonyms and readers' questions, driven in-process with AppTest on a copy of the seed
corpus and index: versions listed with what changed, going back (refused for a damaged version), the setting for how
many are kept, a synonym saved from the panel handling readers' questions, and questions marked handled."""

from __future__ import annotations


import pytest

from nets_search.build.build import BuildSettings, build_index
from nets_search.index import layout, store
from nets_search.page import editor_versions
from nets_search.page.feedback import FeedbackStore
from nets_search.settings import keep_versions

from .conftest import button, editor_app, shown

pytestmark = pytest.mark.usefixtures("page_env")


@pytest.fixture
def site(writable_site):
    return writable_site


def test_versions_say_when_and_what_changed_and_one_can_go_back(monkeypatch, site):
    corpus, index = site
    first = store.current_version(index)
    (corpus / "travel.md").write_text("# Travelling\n\n## Insurance\n\nTell your travel insurer about your NET.\n")
    second = build_index(corpus, index, BuildSettings()).version
    at = editor_app(monkeypatch).run()
    panel = shown(at, at.sidebar)
    assert "1 page added &#40;travel&#41;." in panel and "The oldest version kept." in panel
    button(at, "Go back to this version", at.sidebar).click()
    at.run()
    assert store.current_version(index) == first != second
    panel = shown(at, at.sidebar)
    assert "Done&#58; readers now see the version published" in panel
    assert "Readers see an earlier version" in panel and "the next Publish brings them back" in panel
    assert "Added: travel" in panel  # waiting again: the pages folder still holds it
    assert button(at, "Use this version again", at.sidebar)


def test_a_damaged_version_is_listed_but_cannot_be_gone_back_to(monkeypatch, site):
    corpus, index = site
    first = store.current_version(index)
    (corpus / "travel.md").write_text("# Travelling\n\n## Insurance\n\nTell your travel insurer about your NET.\n")
    build_index(corpus, index, BuildSettings())
    at = editor_app(monkeypatch).run()
    passages = next((layout.version_dir(index, first)).glob("passages*"))
    passages.write_bytes(passages.read_bytes() + b"damage")
    button(at, "Go back to this version", at.sidebar).click()
    at.run()
    assert store.current_version(index) != first
    assert "Not switched" in shown(at, at.sidebar) and "Readers still see the same version." in shown(at, at.sidebar)


def test_how_many_versions_are_kept_is_a_setting_of_at_least_two(monkeypatch, tmp_path):
    assert keep_versions({}) == store.KEEP_VERSIONS == 5
    assert keep_versions({"NETS_SEARCH_KEEP_VERSIONS": "9"}) == 9
    with pytest.raises(Exception, match="at least 2"):
        keep_versions({"NETS_SEARCH_KEEP_VERSIONS": "1"})
    root = tmp_path / "index" / layout.VERSIONS_DIR
    names = [store.new_version_name() for _ in range(4)]
    for name in names:
        (root / name).mkdir(parents=True)
    monkeypatch.setenv("NETS_SEARCH_KEEP_VERSIONS", "3")
    store.prune(tmp_path / "index")
    assert sorted(p.name for p in root.iterdir()) == names[1:]
    monkeypatch.setenv("NETS_SEARCH_KEEP_VERSIONS", "lots")  # unreadable after a publish: the default, no failure
    store.prune(tmp_path / "index")
    assert len(list(root.iterdir())) == 3


def test_changes_in_words():
    words = editor_versions.changes_in_words({"a": "1", "b": "1", "glossary.yaml": "1"},
                                             {"a": "2", "c": "1", "d": "1", "glossary.yaml": "2"})
    assert words == "2 pages added (c, d); 1 page changed (a); 1 page removed (b); synonyms or settings changed."
    assert editor_versions.changes_in_words({"a": "1"}, {"a": "1"}) == "Published again, with no change."
    assert editor_versions.when("2025-05-03T14:02:11Z") == "3 May 2025, 14:02 UTC"


def add_synonym(at, term: str, ours: str):
    at.text_input(key="synonym-term-(add a new synonym)").input(term)
    at.text_input(key="synonym-ours-(add a new synonym)").input(ours)
    button(at, "Add synonym", at.sidebar).click()
    return at.run()


def test_a_synonym_saved_from_the_panel_waits_to_be_published_and_handles_readers_questions(monkeypatch, site,
                                                                                            tmp_path):
    corpus, _ = site
    feedback = FeedbackStore(tmp_path / "feedback.sqlite")
    feedback.record("can i do the jab myself at home", ["x"], answered=False)
    feedback.record("is it cancer", ["y"], answered=False)
    at = editor_app(monkeypatch).run()
    panel = shown(add_synonym(at, "Jab", "injection"), at.sidebar)
    assert "Saved&#58; “jab” means “injection”" in panel and "1 reader question it answers marked handled" in panel
    assert "Synonyms &#40;glossary.yaml&#41;" in panel  # waiting to be published
    assert (corpus / "glossary.yaml").read_text().endswith("jab: injection\n")
    assert [g.question for g in feedback.unanswered()] == ["is it cancer"]
    panel = shown(add_synonym(at, "jab", "needle"), at.sidebar)
    assert "already in the list" in panel


def test_a_synonym_into_words_on_most_passages_is_refused(monkeypatch, site):
    corpus, _ = site
    at = editor_app(monkeypatch).run()
    common = "net"  # the seed page's passages nearly all say NETs
    panel = shown(add_synonym(at, "growth", common), at.sidebar)
    assert "on most of our pages" in panel and not (corpus / "glossary.yaml").exists()


def test_a_question_marked_handled_leaves_the_open_list(monkeypatch, tmp_path):
    feedback = FeedbackStore(tmp_path / "feedback.sqlite")
    feedback.record("can I renew my passport", [], answered=False)
    at = editor_app(monkeypatch).run()
    assert "can I renew my passport" in shown(at, at.sidebar)
    at.sidebar.radio(key="reason-0").set_value("not our topic")
    button(at, "Mark as handled", at.sidebar).click()
    panel = shown(at.run(), at.sidebar)
    assert "is handled &#40;not our topic&#41;" in panel and "None waiting." in panel
    assert feedback.unanswered() == []
