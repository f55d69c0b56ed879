"""The HTML of the results, from values alone (no Streamlit): cards, the source line, tables, the rest of a
section, what was searched, notes. Every piece of text from a reader or from the corpus goes through
`highlight.escape_text` or `highlight.highlight` here, before the page passes it to `st.markdown(...,
unsafe_allow_html=True)`."""

from __future__ import annotations

import functools
import re
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from nets_search.page.highlight import Span, escape_attribute, escape_text, highlight, valid_span
from nets_search.search.labels import named
from nets_search.text import points_elsewhere
from nets_search.types import PageInfo, Passage, Result, SearchResponse, Urgency


def safe_link(url: str) -> str | None:
    """The source URL if it is an ordinary web link; anything else (javascript:, data:, relative) is dropped."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) and " " not in url else None


def card_html(result: Result, terms: frozenset[str], page: PageInfo | None = None,
              section: Sequence[Passage] = ()) -> str:
    """One result card: its label (the engine's `result.label`), the answer line, the page › section heading, where
    it comes from (title, publisher, review date, link), then the whole passage with matched words marked.

    The answer line (the passage's best sentence, readable alone) leads so that on a phone the answer is on the
    first screen even when its passage opens with a table or a patient's quote; the passage follows as its context,
    the sentence emphasised where it sits. A weak match has no answer line: its best sentence is only the least bad."""
    p = result.passage
    strength = named(result.label)
    best = None if result.label == "weak" else valid_span(result.best_sentence, len(p.text))
    answer = best if best and is_answer_line(p.text[best.start : best.end]) else None
    shown_best = None if best is None or points_elsewhere(p.text[best.start : best.end]) else best
    return "".join([
        f'<div class="nets-card"><p class="nets-strength nets-{strength.css}">{strength.label}</p>',
        answer_html(p.text[answer.start : answer.end], terms) if answer else "",
        f'<h3 class="nets-crumb">{escape_text(p.breadcrumb)}</h3>',
        source_html(page or PageInfo(title=p.title, source=p.source)),
        also_on_html(result),
        f'<div class="nets-passage">{passage_html(p.text, terms, shown_best)}</div>',
        (f'<details class="nets-section"><summary>Read the rest of this section</summary>'
         f"{section_html(list(section), p.passage_id, terms)}</details>" if len(section) > 1 else ""),
        "</div>",
    ])


def is_answer_line(sentence: str) -> bool:
    """Whether a best sentence can lead its card on its own: it says something (not only a pointer elsewhere) and is
    not a table row (cells without their column headings do not read alone)."""
    return bool(sentence.strip()) and not points_elsewhere(sentence) and TABLE_CELL_SEPARATOR not in sentence


def answer_html(sentence: str, terms: frozenset[str]) -> str:
    """The answer line: the best sentence on its own. A lone list item loses its bullet (it reads as a sentence);
    a lead-in with its list keeps the list."""
    lines = [line for line in sentence.strip().split("\n") if line.strip()]
    if len(lines) == 1 and (item := _LIST_ITEM.match(lines[0])):
        sentence = item.group("text")
    return f'<div class="nets-answer">{passage_html(sentence.strip(), terms)}</div>'


def source_html(page: PageInfo) -> str:
    """'From <title> · <publisher> · reviewed <month year> · Read the full page' (the parts that are known)."""
    parts = [f"From <cite>{escape_text(page.title)}</cite>"]
    if page.publisher:
        parts.append(escape_text(page.publisher))
    if page.reviewed:
        parts.append(f"reviewed {escape_text(reviewed_words(page.reviewed))}")
    link = safe_link(page.source)
    if link:
        parts.append(f'<a href="{escape_attribute(link)}" target="_blank" rel="noopener noreferrer">'
                     "Read the full page</a>")
    return f'<p class="nets-source">{" · ".join(parts)}</p>'


def also_on_html(result: Result) -> str:
    """'Also on: <page>, <page>': the other pages that hold this card's text, which the search folded into it
    (search/folding.py), each page once and linked to its source when it has one; nothing when there are none."""
    pages: dict[str, Passage] = {}
    for other in result.also_on:
        if other.doc_id != result.passage.doc_id:
            pages.setdefault(other.doc_id, other)
    if not pages:
        return ""
    names = []
    for other in pages.values():
        link = safe_link(other.source)
        names.append(f'<a href="{escape_attribute(link)}" target="_blank" rel="noopener noreferrer">'
                     f"{escape_text(other.title)}</a>" if link else f"<cite>{escape_text(other.title)}</cite>")
    return f'<p class="nets-also">Also on: {", ".join(names)}</p>'


def reviewed_words(value: str) -> str:
    """'2018-09' → 'September 2018'; anything else as the editor wrote it."""
    try:
        return datetime.strptime(value.strip()[:7], "%Y-%m").strftime("%B %Y")
    except ValueError:
        return value.strip()


TABLE_CELL_SEPARATOR = " | "  # a table row's cells as the splitter writes them
_LIST_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?:(?P<bullet>[•*-])|(?P<number>\d{1,3})[.)])[ \t]+(?P<text>\S.*)$")


@dataclass(frozen=True)
class _Line:
    """One line of a passage: where it starts in the passage's text, what kind of block it belongs to."""

    start: int
    text: str
    kind: str  # "text", "blank", "row" (a table row), "ul" or "ol" (a list item)
    depth: int = 0  # a list item's nesting, 1 at the top
    body_start: int = 0  # where a list item's words start within the line, after its marker


def _lines(text: str) -> list[_Line]:
    out, start = [], 0
    for line in text.split("\n"):
        if not line.strip():
            out.append(_Line(start, line, "blank"))
        elif TABLE_CELL_SEPARATOR in line:
            out.append(_Line(start, line, "row"))
        elif item := _LIST_ITEM.match(line):
            kind = "ol" if item.group("number") else "ul"
            depth = len(item.group("indent").expandtabs(2)) // 2 + 1
            out.append(_Line(start, line, kind, depth, item.start("text")))
        else:
            out.append(_Line(start, line, "text"))
        start += len(line) + 1
    return out


def _marked(text: str, start: int, end: int, terms: frozenset[str], best: Span | None) -> str:
    """text[start:end] as safe HTML, matched words marked and the part inside `best` emphasised."""
    span = None
    if best is not None and max(best.start, start) < min(best.end, end):
        span = (max(best.start, start) - start, min(best.end, end) - start)
    return highlight(text[start:end], terms, span)


def passage_html(text: str, terms: frozenset[str], best: Span | None = None) -> str:
    """A passage as blocks of safe HTML: paragraphs (lines joined by <br>), real lists (the splitter's "•" lines,
    nested by their indent) and tables (runs of " | " rows). Every piece of text goes through `highlight`, a line
    at a time, so the best sentence's emphasis never spans a block boundary. The result has no newline, so the
    Markdown around it cannot act on it."""
    lines, out, run = _lines(text), [], []
    for line in [*lines, _Line(len(text), "", "end")]:
        if run and (line.kind != run[0].kind and not (run[0].kind in ("ul", "ol") and line.kind in ("ul", "ol"))):
            out.append(_block(text, run, terms, best))
            run = []
        if line.kind not in ("blank", "end"):
            run.append(line)
    return "".join(out)


def _block(text: str, run: list[_Line], terms: frozenset[str], best: Span | None) -> str:
    kind = run[0].kind
    if kind == "row" and len(run) > 1:
        return _table(text, run, terms, best)
    if kind in ("ul", "ol"):
        return _list(text, run, terms, best)
    return "<p>" + "<br>".join(_marked(text, line.start, line.start + len(line.text), terms, best)
                               for line in run) + "</p>"


def _table(text: str, rows: list[_Line], terms: frozenset[str], best: Span | None) -> str:
    """Rows of ' | ' cells as a real table: the first row as the header, in a wrapper that scrolls sideways on a
    phone; the row holding the best sentence is emphasised as a whole."""
    html = []
    for number, row in enumerate(rows):
        tag = "th" if number == 0 else "td"
        cells = "".join(f"<{tag}>{highlight(cell, terms)}</{tag}>" for cell in row.text.split(TABLE_CELL_SEPARATOR))
        end = row.start + len(row.text)
        is_best = best is not None and max(best.start, row.start) < min(best.end, end)
        html.append(f'<tr class="best-sentence">{cells}</tr>' if is_best and number else f"<tr>{cells}</tr>")
    return f'<div class="nets-table-wrap"><table>{"".join(html)}</table></div>'


def _list(text: str, items: list[_Line], terms: frozenset[str], best: Span | None) -> str:
    """List items as <ul>/<ol>, a deeper indent nested inside the item above it (never deeper than one step)."""
    out, open_tags = [], []
    for item in items:
        depth = max(1, min(item.depth, len(open_tags) + 1))
        if depth > len(open_tags):
            out.append(f"<{item.kind}>")
            open_tags.append(item.kind)
        else:
            out.append("</li>")
            while len(open_tags) > depth:
                out.append(f"</{open_tags.pop()}></li>")
        out.append("<li>" + _marked(text, item.start + item.body_start, item.start + len(item.text), terms, best))
    out.append("</li>")
    while len(open_tags) > 1:
        out.append(f"</{open_tags.pop()}></li>")
    out.append(f"</{open_tags.pop()}>")
    return "".join(out)


def section_html(neighbours: list[Passage], current_id: str, terms: frozenset[str]) -> str:
    """The rest of a result's section, in reading order, without the passage already shown in the card: a
    marker stands where it sits, so the reader sees what comes before and after it."""
    blocks = []
    for p in neighbours:
        if p.passage_id == current_id:
            blocks.append('<p class="nets-here">(the passage shown above)</p>')
        else:
            blocks.append(f'<div class="nets-neighbour">{passage_html(p.text, terms)}</div>')
    return "".join(blocks)


@functools.lru_cache(maxsize=1024)
def cached_card_html(result: Result, terms: frozenset[str], page: PageInfo, section: tuple[Passage, ...]) -> str:
    """card_html, kept for the page's reruns: every click (Yes/No, More passages, the options) reruns the search
    page with the same question, and highlighting is most of the time a rerun spends in our code."""
    return card_html(result, terms, page, section)


def searched_for_html(response: SearchResponse) -> str:
    """What was asked and what was searched: a repaired typo is shown with a way back to the reader's own words,
    and a key word our pages never mention is named, so the reader knows why nothing matches well."""
    parts = [f'<p class="nets-asked">You asked: “{escape_text(response.query)}”</p>']
    if response.corrections:
        own = escape_attribute(urllib.parse.urlencode({"q": response.query, "exact": "1"}))
        parts.append(
            f'<p class="nets-asked">Showing results for <em>{escape_text(response.searched_text)}</em>. '
            f'<a href="?{own}" target="_self">Search instead for <em>{escape_text(response.query)}</em></a></p>'
        )
    if response.missing_terms:
        named = ", ".join(f"“{escape_text(word)}”" for word in response.missing_terms)
        parts.append(f'<p class="nets-asked">Our information does not mention {named}.</p>')
    return "".join(parts)


def next_step_html(settings) -> str:
    """The next step offered after "No": the editors' sentence (page.yaml) and link, if any."""
    link = safe_link(settings.next_step_link)
    more = (f' <a href="{escape_attribute(link)}" target="_blank" rel="noopener noreferrer">Where to get help</a>'
            if link else "")
    return (f'<div class="nets-next" role="note"><strong>Sorry this did not answer your question.</strong> '
            f"{escape_text(settings.next_step)}{more}</div>")


def note_html(text: str, css: str = "nets-note", role: str = "note") -> str:
    return f'<div class="{css}" role="{role}">{escape_text(text)}</div>'


def heading_html(text: str, css: str, level: int = 2) -> str:
    """A heading of our own (shown with `anchors=False`, so no unlabelled "Link to heading" tab stop), with a class
    the page's focus script finds and tabindex -1 so that focus can be moved to it after a search or a reply."""
    return f'<h{level} class="nets-heading {css}" tabindex="-1">{escape_text(text)}</h{level}>'


CALL_999 = "Call 999 now"
CALL_111 = "Call 111 or your care team now"
SAMARITANS = "You can also talk to Samaritans, free, day or night: call 116 123."
WORSE_999 = "If it gets worse, or you are very worried, call 999."
_PHONE = {"999": "999", "111": "111", "116 123": "116123"}  # as written -> as dialled


def _with_phone_links(text: str) -> str:
    """Escaped text with each phone number in it as a tel: link (one tap on a phone)."""
    html = escape_text(text)
    for written, dialled in _PHONE.items():
        html = html.replace(written, f'<a href="tel:{dialled}">{written}</a>', 1)
    return html


def urgent_html(urgency: Urgency) -> str:
    """The box that starts the results of a question describing an emergency now: which number to call, why in
    plain words, and for thoughts of suicide or self-harm the Samaritans too. An alert (read out at once) with a
    heading, so a screen reader meets it first and can find it again."""
    title, why = ((CALL_999, "What you describe sounds like an emergency") if urgency.life_threatening
                  else (CALL_111, "What you describe needs help soon"))
    parts = [f'<div class="nets-urgent" role="alert"><h2 class="nets-heading nets-urgent-title" tabindex="-1">'
             f"{_with_phone_links(title)}</h2>"]
    if urgency.reason:
        parts.append(f"<p>{escape_text(f'{why}: {urgency.reason}.')}</p>")
    if urgency.flag == "self-harm":
        parts.append(f"<p>{_with_phone_links(SAMARITANS)}</p>")
    if not urgency.life_threatening:
        parts.append(f"<p>{_with_phone_links(WORSE_999)}</p>")
    return "".join(parts) + "</div>"
