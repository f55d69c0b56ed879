"""The HTML of the results, from values alone (no Streamlit): cards, the source line, tables, the rest of a
section, what was searched, notes. Every piece of text from a reader or from the corpus goes through
`highlight.escape_text` or `highlight.highlight` here, before the page passes it to `st.markdown(...,
unsafe_allow_html=True)`."""

from __future__ import annotations

import functools
import urllib.parse
from datetime import datetime
from typing import Sequence

from nets_search.page.highlight import escape_attribute, escape_text, highlight
from nets_search.search.labels import strength_of
from nets_search.types import PageInfo, Passage, Result, SearchResponse


def safe_link(url: str) -> str | None:
    """The source URL if it is an ordinary web link; anything else (javascript:, data:, relative) is dropped."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) and " " not in url else None


def card_html(result: Result, terms: frozenset[str], no_good_match: bool, page: PageInfo | None = None,
              section: Sequence[Passage] = (), tentative: bool = False) -> str:
    """One result card: strength label, page › section heading, where it comes from (title, publisher, review
    date, link), then the highlighted passage. The source line comes before the text so that, on a phone, the
    first answer and where it comes from are on the first screen together."""
    p = result.passage
    strength = strength_of(result, no_good_match, tentative)
    # The best sentence is emphasised only in a strong match: in a weaker passage the "best" sentence is merely
    # the least bad one, and bold type would present it as an answer.
    best = result.best_sentence if strength.css == "strong" else None
    return "".join([
        f'<div class="nets-card"><p class="nets-strength nets-{strength.css}">{strength.label}</p>',
        f'<h3 class="nets-crumb">{escape_text(p.breadcrumb)}</h3>',
        source_html(page or PageInfo(title=p.title, source=p.source)),
        f'<div class="nets-passage">{with_tables(highlight(p.text, terms, best))}</div>',
        (f'<details class="nets-section"><summary>Read the rest of this section</summary>'
         f"{section_html(list(section), p.passage_id, terms)}</details>" if len(section) > 1 else ""),
        "</div>",
    ])


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


def reviewed_words(value: str) -> str:
    """'2018-09' → 'September 2018'; anything else as the editor wrote it."""
    try:
        return datetime.strptime(value.strip()[:7], "%Y-%m").strftime("%B %Y")
    except ValueError:
        return value.strip()


TABLE_CELL_SEPARATOR = escape_text(" | ")  # a table row's cells as the splitter writes them, once escaped
LINE_BREAK = escape_text("\n")
_BEST_OPEN, _BEST_CLOSE = '<strong class="best-sentence">', "</strong>"


def with_tables(passage_html: str) -> str:
    """Highlighted passage HTML with its table rows (lines of ' | '-separated cells) drawn as a real table: the
    first row of a run as the header, the rest as data rows, in a wrapper that scrolls sideways on a phone.

    The input is already escaped text with <mark> and the best-sentence <strong>: cells are split on the
    separator, which escaped text cannot fake, and a row that is the best sentence keeps its emphasis on the row."""
    out: list[str] = []
    rows: list[str] = []
    for line in passage_html.split(LINE_BREAK):
        if TABLE_CELL_SEPARATOR in line:
            rows.append(line)
            continue
        if rows:
            out.append(_table(rows))
            rows = []
        out.append(line)
    if rows:
        out.append(_table(rows))
    return LINE_BREAK.join(out).replace(f"</table></div>{LINE_BREAK}", "</table></div>")  # a table is a block already


def _table(rows: list[str]) -> str:
    if len(rows) < 2:
        return rows[0]
    html = []
    for number, row in enumerate(rows):
        best = row.startswith(_BEST_OPEN) and row.endswith(_BEST_CLOSE)
        if best:
            row = row[len(_BEST_OPEN) : -len(_BEST_CLOSE)]
        tag = "th" if number == 0 else "td"
        cells = "".join(f"<{tag}>{cell}</{tag}>" for cell in row.split(TABLE_CELL_SEPARATOR))
        html.append(f'<tr class="best-sentence">{cells}</tr>' if best else f"<tr>{cells}</tr>")
    return f'<div class="nets-table-wrap"><table>{"".join(html)}</table></div>'


def section_html(neighbours: list[Passage], current_id: str, terms: frozenset[str]) -> str:
    """The rest of a result's section, in reading order, without the passage already shown in the card: a
    marker stands where it sits, so the reader sees what comes before and after it."""
    blocks = []
    for p in neighbours:
        if p.passage_id == current_id:
            blocks.append('<p class="nets-here">(the passage shown above)</p>')
        else:
            blocks.append(f'<div class="nets-neighbour">{with_tables(highlight(p.text, terms))}</div>')
    return "".join(blocks)


@functools.lru_cache(maxsize=1024)
def cached_card_html(result: Result, terms: frozenset[str], weak: bool, page: PageInfo,
                     section: tuple[Passage, ...], tentative: bool = False) -> str:
    """card_html, kept for the page's reruns: every click (Yes/No, More passages, the options) reruns the search
    page with the same question, and highlighting is most of the time a rerun spends in our code."""
    return card_html(result, terms, weak, page, section, tentative)


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
