"""End to end in a real browser: `streamlit run app.py` on a free port, driven by Playwright in Debian's Chromium.

Also writes the README screenshots: docs/screenshot-desktop.png (1280 px wide) and docs/screenshot-mobile.png
(360 px wide), of results for a real question.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from ..conftest import copy_seed_page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
DOCS = ROOT / "docs"
FOODS = "what foods should I avoid?"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
AXE = Path(os.environ.get("NETS_SEARCH_AXE", ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"))
STARTUP_LIMIT_SECONDS = 120  # a limit on waiting, not a timing assertion
WAIT_MS = 90_000

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    expect = sync_playwright = None

# Every browser test module's marks (with CI=true, tests/conftest.py turns a skip among them into a failure).
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed: pip install playwright"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)"),
]
pytestmark = BROWSER_MARKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer on {url} within {STARTUP_LIMIT_SECONDS} s")


class Served(str):
    """The page's address, and the folder its corpus and index live in (`root`)."""

    root: Path


def serve(root: Path, extra_env: dict[str, str]):
    """The page served by a real `streamlit run app.py` on a free localhost port, over a temporary index."""
    from nets_search.build.build import BuildSettings, build_index

    corpus = root / "corpus"
    copy_seed_page(corpus)
    build_index(corpus, root / "index", BuildSettings())
    port = free_port()
    env = dict(
        os.environ,
        NETS_SEARCH_INDEX=str(root / "index"),
        NETS_SEARCH_CORPUS=str(corpus),
        NETS_SEARCH_FEEDBACK_DB=str(root / "feedback.sqlite"),
        NETS_SEARCH_GOLDEN=str(root / "golden-questions.jsonl"),
    )
    for name in ("NETS_SEARCH_EDITOR", "NETS_SEARCH_EDITOR_TOKEN"):
        env.pop(name, None)
    env.update(extra_env)
    # No file watcher: an edit to a module in the checkout would otherwise reload the page's modules mid-test.
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    log = (root / "streamlit.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = Served(f"http://127.0.0.1:{port}")
    url.root = root
    try:
        wait_until_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> str:
    yield from serve(tmp_path_factory.mktemp("browser"), {})


EDITOR_TOKEN = "a long editor secret"


@pytest.fixture(scope="module")
def editor_server(tmp_path_factory) -> str:
    """The page started in editor mode, with an editor token set on the server."""
    yield from serve(tmp_path_factory.mktemp("editor"), {"NETS_SEARCH_EDITOR": "1", "NETS_SEARCH_EDITOR_TOKEN": EDITOR_TOKEN,
                                                          "NETS_SEARCH_REBUILD_INTERVAL": "0"})


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def open_page(browser, server: str, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(server)
    page.get_by_role("textbox", name="Your question").wait_for()
    return context, page


def screenshot(page, name: str, max_height: int = 6000) -> None:
    """A picture of the whole page. Streamlit scrolls inside its main element, not the document, so the
    viewport is first made as tall as the content."""
    expect(page.get_by_role("heading", name="Did this answer your question?")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=WAIT_MS)
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": min(int(height), max_height)})
    page.evaluate("window.scrollTo(0, 0); document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; })")
    page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring in the picture
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / name), full_page=True)


def search(page, question: str) -> None:
    box = page.get_by_role("textbox", name="Your question")
    box.fill(question)
    box.press("Enter")


def test_typing_a_question_shows_the_answering_passage_and_puts_it_in_the_url(browser, server):
    context, page = open_page(browser, server, 1280, 900)
    try:
        search(page, FOODS)
        first_card = page.locator(".nets-card").first
        expect(first_card).to_contain_text("tryptophan", timeout=WAIT_MS)
        expect(first_card.locator("mark").first).to_be_visible()
        expect(page.get_by_role("heading", name="Best answer from our information")).to_be_visible()
        assert parse_qs(urlparse(page.url).query).get("q") == [FOODS]
        expect(page.get_by_text("call 999", exact=False).first).to_be_visible()
        screenshot(page, "screenshot-desktop.png")
    finally:
        context.close()


def test_a_shared_link_reopens_the_search(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(f"{server}/?q=what+foods+should+I+avoid%3F")
        expect(page.locator(".nets-card").first).to_contain_text("tryptophan", timeout=WAIT_MS)
        expect(page.get_by_role("textbox", name="Your question")).to_have_value(FOODS)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, "the page scrolls sideways at 360 px"
        screenshot(page, "screenshot-mobile.png", max_height=1400)
    finally:
        context.close()


def test_a_script_in_the_question_is_shown_as_text_and_never_runs(browser, server):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)> [x](javascript:alert(1)) **flushing**'
    context, page = open_page(browser, server, 1280, 900)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        scripts_before = page.locator("script").count()
        search(page, payload)
        asked = page.locator(".nets-asked").first  # "You asked: …" (then the words our pages do not mention)
        expect(asked).to_contain_text('<script>alert("x")</script>', timeout=WAIT_MS)
        expect(asked).to_contain_text("[x](javascript:alert(1)) **flushing**")
        page.get_by_text("Nearest passages (weak matches)").click()  # folded: this question is not covered
        expect(page.locator(".nets-card").first).to_be_visible()
        page.wait_for_timeout(500)
        assert dialogs == []
        scripts = page.locator("script").evaluate_all("elements => elements.map(e => e.textContent)")
        assert len(scripts) <= scripts_before + 1  # the page's own focus-and-announce script, and nothing else
        assert not any("alert" in script for script in scripts)
        assert page.locator("main img[src='x']").count() == 0
        assert page.locator("main a[href^='javascript']").count() == 0
    finally:
        context.close()


@pytest.mark.skipif(not AXE.exists(), reason=f"axe-core not found at {AXE} (scripts/test.sh installs it with npm)")
@pytest.mark.parametrize("width", [1280, 360])
def test_the_results_page_has_no_wcag_a_or_aa_violations(browser, server, width):
    """axe-core's WCAG 2 A and AA rules (contrast, labels, headings, names) over the rendered results page."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(f"{server}/?q=what+foods+should+I+avoid%3F")
        expect(page.get_by_role("heading", name="Did this answer your question?")).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=WAIT_MS)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}}))"
            ".violations.map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).slice(0, 3)}`)"
        )
        assert violations == []
    finally:
        context.close()


@pytest.mark.parametrize("query", ["", "?editor=1", "?editor=true&token=x", "?q=flushing&editor=1&admin=1"])
def test_no_editor_control_without_the_token_whatever_the_url(browser, editor_server, query):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(editor_server + query)
        page.get_by_role("textbox", name="Your question").wait_for()
        expect(page.get_by_role("button", name="Unlock the editor panel")).to_be_visible()
        for label in ("Publish changes", "Publish for the first time", "Add to golden questions"):
            expect(page.get_by_role("button", name=label)).to_have_count(0)
        expect(page.get_by_text("What readers see")).to_have_count(0)
    finally:
        context.close()


def unlocked_editor(browser, editor_server):
    """(context, page): the editor page in a fresh browser, the token entered."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(editor_server)
    page.get_by_label("Editor token").fill(EDITOR_TOKEN)
    page.get_by_role("button", name="Unlock the editor panel").click()
    return context, page


def test_the_editor_token_opens_the_panel(browser, editor_server):
    context, page = unlocked_editor(browser, editor_server)
    try:
        expect(page.get_by_role("button", name="Publish changes")).to_be_visible()
        expect(page.get_by_text("What readers see")).to_be_visible()
    finally:
        context.close()


def send_clear_cache(server: str) -> None:
    """What any client can send: Streamlit's "clear cache" message, from a websocket session of its own (no browser,
    no cookie). Returns once a heartbeat sent after it is acknowledged (a session's messages are handled in order)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    address = server.replace("http://", "ws://", 1) + "/_stcore/stream"
    with connect(address, subprotocols=["streamlit"], open_timeout=30) as stream:
        stream.send(BackMsg(clear_cache=True).SerializeToString())
        stream.send(BackMsg(app_heartbeat=True).SerializeToString())
        for _ in range(100):  # bounded: the acknowledgement follows at most a few status messages
            reply = ForwardMsg()
            reply.ParseFromString(stream.recv(timeout=30))
            if reply.HasField("heartbeat_ack"):
                return
    raise AssertionError("the page never acknowledged the heartbeat sent after the clear-cache message")


def wrong_token_in_a_new_session(page, server: str, said: str) -> None:
    """Open the page afresh (a new browser session, from the same address), enter a wrong token, wait for `said`."""
    page.goto(server)
    page.get_by_label("Editor token").fill("a wrong guess")
    page.get_by_role("button", name="Unlock the editor panel").click()
    expect(page.get_by_test_id("stSidebar").get_by_text(said, exact=False)).to_be_visible(timeout=WAIT_MS)


def test_a_clients_clear_cache_does_not_reset_the_wrong_token_pause_and_the_right_token_still_opens(
        browser, editor_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        for _ in range(5):  # editor_gate.MAX_TOKEN_TRIES, each from a new session: they count against the address
            wrong_token_in_a_new_session(page, editor_server, "That is not the editor token.")
        wrong_token_in_a_new_session(page, editor_server, "Too many wrong tries")
        send_clear_cache(editor_server)
        wrong_token_in_a_new_session(page, editor_server, "Too many wrong tries")  # the pause survives it
        page.get_by_label("Editor token").fill(EDITOR_TOKEN)
        page.get_by_role("button", name="Unlock the editor panel").click()
        expect(page.get_by_role("button", name="Publish changes")).to_be_visible()  # paused, yet the right token opens
    finally:
        context.close()


def test_a_table_passage_is_a_real_table_that_scrolls_inside_its_card_on_a_phone(browser, server):
    context, page = open_page(browser, server, 360, 740)
    try:
        search(page, FOODS)
        table = page.locator(".nets-card").first.locator("table")
        expect(table).to_have_count(1, timeout=WAIT_MS)
        expect(table.locator("th")).to_have_count(3)
        expect(table.locator("th").first).to_contain_text("Primary tumour sites")
        wider = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not wider, "the table made the page scroll sideways"
        overflow = page.evaluate("getComputedStyle(document.querySelector('.nets-table-wrap')).overflowX")
        assert overflow == "auto"
        page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring in the picture
        table.scroll_into_view_if_needed()
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / "screenshot-table-360.png"))
    finally:
        context.close()


PHONE = {"width": 375, "height": 667}  # a small phone's first screen


def test_on_a_phone_the_first_answer_and_its_source_are_on_the_first_screen(browser, server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(f"{server}/?q=what+foods+should+I+avoid%3F")
        card = page.locator(".nets-card").first
        expect(card).to_contain_text("tryptophan", timeout=WAIT_MS)
        expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=WAIT_MS)
        answer = card.locator(".nets-answer").bounding_box()
        assert answer["y"] + answer["height"] <= PHONE["height"], f"the answer line ends at {answer}"
        expect(card.locator(".nets-answer")).to_contain_text("tryptophan")
        source = card.locator(".nets-source").bounding_box()
        assert source["y"] + source["height"] <= PHONE["height"], f"the source line ends at {source}"
        expect(card.locator(".nets-source")).to_contain_text("Ipsen Ltd")
        expect(page.get_by_text("More passages (4)")).to_be_visible()
        expect(page.locator(".nets-card").nth(1)).not_to_be_visible()  # folded until the reader asks for more
    finally:
        context.close()


SMALL_PHONE = {"width": 360, "height": 740}


def phone_page(browser, server: str, path: str = ""):
    """(context, page) at 360×740, the page opened at `path`, the question box ready."""
    context = browser.new_context(viewport=SMALL_PHONE, is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(server + path)
    page.get_by_role("textbox", name="Your question").wait_for()
    return context, page


def settled(page, asked: str) -> None:
    """Wait until the results of `asked` are drawn and the run is over."""
    expect(page.locator(".nets-asked").first).to_contain_text(asked, timeout=WAIT_MS)
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=WAIT_MS)


def on_first_screen(page, locator) -> dict:
    """The element's box, asserting it lies wholly within the first screen, the page not scrolled."""
    scrolled = page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop + window.scrollY")
    assert scrolled == 0, f"the page scrolled by {scrolled} px"
    box = locator.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= SMALL_PHONE["height"], box
    return box


URGENT = "my dad is flushing and cant breathe properly"


def test_an_urgent_question_opens_its_results_with_the_emergency_box_on_the_first_phone_screen(browser, server):
    context, page = phone_page(browser, server)
    try:
        search(page, URGENT)
        settled(page, URGENT)
        urgent = page.locator(".nets-urgent")
        expect(urgent).to_have_attribute("role", "alert")
        expect(urgent.get_by_role("heading", name="Call 999 now")).to_be_visible()
        expect(urgent).to_contain_text("trouble breathing")
        box = on_first_screen(page, urgent)
        heading = page.locator(".nets-results-heading").bounding_box()
        assert box["y"] + box["height"] <= heading["y"], "the box must come before the results"
        expect(page.get_by_text("Try asking in different words")).to_have_count(0)
        page.screenshot(path=str(server.root / "urgent-360.png"))  # to look at, not for the README
        search(page, "what is a carcinoid crisis")
        settled(page, "what is a carcinoid crisis")
        expect(page.locator(".nets-urgent")).to_have_count(0)
    finally:
        context.close()


EXAMPLES = ("What foods should I avoid?", "Why does my face go red?", "What is carcinoid syndrome?",
            "Are NETs cancer?", "Can I still drink coffee?")  # reader.EXAMPLE_QUESTIONS, without importing the page


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_example_question_shows_its_first_answer_line_on_the_first_phone_screen(browser, server, example):
    """The first card's answer line, whole, on a 360×740 screen, for every example: the engine never chooses a
    sentence that only points elsewhere ("Visit the … section") while the passage has another."""
    context, page = phone_page(browser, server)
    try:
        page.get_by_role("button", name=example).click()
        settled(page, example)
        card = page.locator(".nets-card").first
        page.screenshot(path=str(server.root / f"example-{EXAMPLES.index(example)}-360.png"))
        expect(card.locator(".nets-answer")).to_have_count(1)
        on_first_screen(page, card.locator(".nets-answer"))
    finally:
        context.close()


def test_results_are_announced_and_focus_moves_to_them_after_a_search_an_example_and_a_reply(browser, server):
    context, page = phone_page(browser, server)
    live = page.locator("#nets-live")
    focused_class = "() => document.activeElement && document.activeElement.className"
    try:
        page.get_by_role("button", name=EXAMPLES[0]).click()
        settled(page, EXAMPLES[0])
        expect(live).to_have_text("5 passages found. The best answer is first.", timeout=WAIT_MS)
        expect(live).to_have_attribute("aria-live", "polite")
        page.wait_for_function("document.activeElement.classList.contains('nets-results-heading')")
        search(page, "how do I renew my passport?")
        settled(page, "renew my passport")
        expect(live).to_contain_text("No good match", timeout=WAIT_MS)
        page.wait_for_function("document.activeElement.classList.contains('nets-results-heading')")
        page.get_by_role("button", name="No").click()
        expect(live).to_contain_text("Thank you", timeout=WAIT_MS)
        page.wait_for_function("document.activeElement.classList.contains('nets-feedback-heading')")
        assert "nets-feedback-heading" in page.evaluate(focused_class)
    finally:
        context.close()


def test_cards_have_no_unlabelled_tab_stops_and_lists_are_real_lists(browser, server):
    context, page = phone_page(browser, server, "/?q=what+foods+should+I+avoid%3F")
    try:
        settled(page, FOODS)
        expect(page.locator("[aria-label='Link to heading']")).to_have_count(0)
        unnamed = page.evaluate("""() => [...document.querySelectorAll(
            '.nets-card a, .nets-card button, .nets-card summary, .nets-card [tabindex]')]
            .filter(e => e.tabIndex >= 0 && !(e.getAttribute('aria-label') || e.textContent).trim())
            .map(e => e.outerHTML.slice(0, 80))""")
        assert unnamed == []
        card = page.locator(".nets-card").first
        expect(card.locator(".nets-passage ul > li")).to_have_count(4)
        assert "•" not in card.inner_text()
    finally:
        context.close()


def test_on_a_phone_the_input_hint_never_covers_the_typed_question(browser, server):
    context, page = phone_page(browser, server)
    try:
        box = page.get_by_role("textbox", name="Your question")
        box.click()
        box.type("my husband has diarrhoea at night and flushing after meals, is that normal")
        page.wait_for_timeout(300)
        hint = page.get_by_test_id("InputInstructions")
        if hint.count() and hint.first.is_visible():
            text_box = box.evaluate("""e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
                return {left: r.left + parseFloat(s.paddingLeft), right: r.right - parseFloat(s.paddingRight)}; }""")
            drawn = hint.first.bounding_box()
            assert drawn["x"] >= text_box["right"] or drawn["x"] + drawn["width"] <= text_box["left"], (drawn, text_box)
    finally:
        context.close()


def test_back_and_forward_keep_the_box_and_the_results_in_step(browser, server):
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(server)
        search(page, FOODS)
        expect(page.locator(".nets-card").first).to_contain_text("tryptophan", timeout=WAIT_MS)
        search(page, "what is carcinoid syndrome")
        expect(page.locator(".nets-asked").first).to_contain_text("carcinoid syndrome", timeout=WAIT_MS)
        page.go_back()
        expect(page.get_by_role("textbox", name="Your question")).to_have_value(FOODS, timeout=WAIT_MS)
        expect(page.locator(".nets-asked").first).to_contain_text(FOODS, timeout=WAIT_MS)
        page.go_forward()
        expect(page.get_by_role("textbox", name="Your question")).to_have_value("what is carcinoid syndrome",
                                                                                timeout=WAIT_MS)
    finally:
        context.close()
