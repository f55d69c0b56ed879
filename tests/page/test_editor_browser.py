"""The whole editor story in a real browser, with the keyboard only, on a copy of the corpus in a temp folder:
unlock (Enter in the token field), add a page and a broken page, publish (the good page answers, the broken one is
listed with its line), add a synonym (the "jab" question then answers), go back one version, reload (still
unlocked). Also writes docs/screenshot-editor-*.png (1280 px wide)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from ..conftest import page as page_text
from .test_browser import (BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, DOCS, EDITOR_TOKEN, WAIT_MS, expect, serve,
                           sync_playwright)

pytestmark = BROWSER_MARKS

JAB = "can i do the jab myself at home"
INJECTIONS_PAGE = page_text(
    "Injections at home",
    ("Giving your injection yourself", "Many people learn to give their lanreotide injection themselves at home. "
                                       "A specialist nurse shows you how the first time, and a community nurse can "
                                       "visit if you would rather not inject yourself."),
)
BROKEN_PAGE = '---\ntitle: "Octreotide\nsource: https://example.org/octreotide\n---\n\n## Doses\n\nText.\n'
MAX_TABS = 120  # a bound on walking the page with Tab, not a timing


@pytest.fixture(scope="module")
def editor_site(tmp_path_factory):
    yield from serve(tmp_path_factory.mktemp("editor-story"), {
        "NETS_SEARCH_EDITOR": "1", "NETS_SEARCH_EDITOR_TOKEN": EDITOR_TOKEN, "NETS_SEARCH_REBUILD_INTERVAL": "0"})


def tab_to(page, target) -> None:
    """Press Tab until `target` has the keyboard focus (as a keyboard user reaches it)."""
    target.wait_for()
    for _ in range(MAX_TABS):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} was never reached with Tab")


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def settled(page) -> None:
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=WAIT_MS)


def answers(page, url: str, question: str):
    """The first result card for `question`, asked through the address (as a reader's link would)."""
    page.goto(f"{url}/?q={quote(question)}")
    card = page.locator(".nets-card").first
    card.wait_for(timeout=WAIT_MS)
    return card


def picture(page, name: str) -> None:
    settled(page)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / name))


def test_the_whole_editor_story_with_the_keyboard_only(editor_site):
    corpus = editor_site.root / "corpus"
    expect.set_options(timeout=WAIT_MS)  # a publish embeds pages: wait for it as long as for a page load
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 1400})
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        try:
            page.goto(editor_site)
            field = page.get_by_label("Editor token")
            tab_to(page, field)
            page.keyboard.type("not the token at all")
            page.keyboard.press("Enter")
            expect(sidebar(page).get_by_text("That is not the editor token.")).to_be_visible()
            picture(page, "screenshot-editor-gate.png")
            tab_to(page, field)
            page.keyboard.type(EDITOR_TOKEN)
            page.keyboard.press("Enter")
            expect(sidebar(page).get_by_text("What readers see")).to_be_visible()
            expect(sidebar(page).get_by_text("Nothing is waiting")).to_be_visible()

            (corpus / "injections-at-home.md").write_text(INJECTIONS_PAGE, encoding="utf-8")
            (corpus / "octreotide.md").write_text(BROKEN_PAGE, encoding="utf-8")
            page.reload()  # the editor looks again: the reload keeps the panel open
            waiting = sidebar(page).locator(".nets-waiting")
            expect(waiting).to_contain_text("injections-at-home")
            expect(waiting).to_contain_text("octreotide")
            publish(page)
            expect(sidebar(page).get_by_text("Done: readers now see the new version")).to_be_visible()
            expect(sidebar(page).get_by_text("Not published: octreotide.md")).to_be_visible()
            expect(sidebar(page).get_by_role("alert").filter(has_text="line 2")).to_be_visible()
            picture(page, "screenshot-editor-published.png")
            assert "Injections at home" in answers(page, editor_site, "giving my lanreotide injection").inner_text()

            page.goto(editor_site)
            readers = sidebar(page).get_by_label("Readers' words")
            tab_to(page, readers)
            page.keyboard.type("jab")
            page.keyboard.press("Tab")
            page.keyboard.type("injection")
            page.keyboard.press("Enter")
            expect(sidebar(page).get_by_text("Saved: “jab” means “injection”")).to_be_visible()
            expect(sidebar(page).locator(".nets-waiting")).to_contain_text("Synonyms (glossary.yaml)")
            assert "jab: injection\n" in (corpus / "glossary.yaml").read_text(encoding="utf-8")
            publish(page)
            expect(sidebar(page).get_by_text("Done: readers now see the new version")).to_be_visible()
            picture(page, "screenshot-editor-synonym.png")
            assert "Injections at home" in answers(page, editor_site, JAB).inner_text()

            page.goto(editor_site)
            back = sidebar(page).get_by_role("button", name="Go back to this version").first
            tab_to(page, back)
            page.keyboard.press("Enter")
            expect(sidebar(page).get_by_text("Done: readers now see the version published")).to_be_visible()
            expect(sidebar(page).get_by_text("Readers see an earlier version")).to_be_visible()
            expect(sidebar(page).locator(".nets-waiting")).to_contain_text("Synonyms (glossary.yaml)")
            picture(page, "screenshot-editor-versions.png")

            page.reload()
            expect(sidebar(page).get_by_text("What readers see")).to_be_visible()
            expect(page.get_by_label("Editor token")).to_have_count(0)
            assert EDITOR_TOKEN not in page.content()
            assert all(EDITOR_TOKEN not in c["value"] for c in context.cookies())
        finally:
            context.close()
            browser.close()


def publish(page) -> None:
    button = sidebar(page).get_by_role("button", name="Publish changes")
    tab_to(page, button)
    page.keyboard.press("Enter")
    settled(page)
