"""Reading a page into sections and blocks: Markdown (CommonMark with tables) or plain text → sections under their
heading breadcrumbs → blocks (paragraphs, lists, tables, quotes) as plain text, HTML tags taken out. passages.py cuts
the blocks into passages.

Everything here is a pure function of the page: no model, no index.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from html import unescape as html_unescape
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from nets_search.types import Page

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Block:
    """A unit of a section that is never cut, except when it alone exceeds the size limits."""

    kind: str  # paragraph, list, table, quote
    text: str
    rows: tuple[str, ...] = ()  # list items or table rows, for cutting an oversize block
    header: str = ""  # a table's header row, repeated on every piece of a cut table


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]


# markdown-it stops reading a page at its nesting limit and drops the rest of the page, silently (CommonMark's
# preset sets 20: a list ten levels deep). 100 is markdown-it's own default, within Python's stack; a page nested
# deeper still is read again without lists and quotes (the only blocks that nest), so that every word is kept.
MAX_NESTING = 100
_MD = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable("table")
_FLAT_MD = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable("table").disable(["list", "blockquote"])


def page_sections(page: Page) -> list[Section]:
    if page.kind == "text":
        paragraphs = [" ".join(p.split()) for p in page.body.split("\n\n")]
        return [Section("", tuple(Block("paragraph", p) for p in paragraphs if p))]
    return _markdown_sections(page)


def _markdown_tokens(body: str, name: str) -> list:
    """markdown-it's block tokens of a page, all of it: a page nested past the limit is parsed flat."""
    tokens = _MD.parse(body)
    if not _reached_nesting_limit(tokens):
        return tokens
    log.warning("%s: nested more than %d levels deep; its lists and quotes are read as paragraphs", name,
                MAX_NESTING // 2)
    return _FLAT_MD.parse(body)


def _reached_nesting_limit(tokens: list) -> bool:
    """True when markdown-it opened a block at its last level: it then skipped everything after it."""
    return any(token.nesting == 1 and token.level >= MAX_NESTING - 1 for token in tokens)


def _markdown_sections(page: Page) -> list[Section]:
    tokens = _markdown_tokens(page.body, page.path or page.doc_id)
    sections: list[Section] = []
    headings: list[tuple[int, str]] = []
    blocks: list[Block] = []

    def close() -> None:
        if blocks:
            sections.append(Section(" › ".join(h for _, h in headings), tuple(blocks)))

    i = 0
    while i < len(tokens):
        token = tokens[i]
        end = _block_end(tokens, i)
        if token.type == "heading_open":
            close()
            blocks = []
            level, text = int(token.tag[1]), _inline_text(tokens[i + 1])
            headings = [h for h in headings if h[0] < level]
            if not (level == 1 and text == page.title):
                headings.append((level, text))
        else:
            block = _render_block(tokens[i:end])
            if block is not None:
                blocks.append(block)
        i = end
    close()
    return sections


def _block_end(tokens: list, start: int) -> int:
    """Index just past the top-level block that starts at `start`."""
    if tokens[start].nesting != 1:
        return start + 1
    depth = 0
    for j in range(start, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j + 1
    return len(tokens)


def _render_block(tokens: list) -> Block | None:
    first = tokens[0].type
    if first in ("bullet_list_open", "ordered_list_open"):
        items = _list_items(tokens)
        return Block("list", "\n".join(items), rows=tuple(items)) if items else None
    if first == "table_open":
        return _table_block(tokens)
    text = "\n".join(t for t in (_token_text(token) for token in tokens) if t)
    if not text.strip():
        return None
    return Block("quote" if first == "blockquote_open" else "paragraph", text)


def _list_items(tokens: list) -> list[str]:
    items: list[str] = []
    depth = 0
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "list_item_open":
            items.append("  " * (depth - 1) + "• ")
        elif items and (text := " ".join(_token_text(token).split())):
            items[-1] += text if items[-1].endswith("• ") else " " + text
    return [item for item in items if item.strip(" •")]


def _token_text(token) -> str:
    """The words a block token carries: an inline run's text, a code block's content, an HTML block's text (in a
    list or a quote as much as at the top of a page); nothing for the others (they open or close blocks)."""
    if token.type == "inline":
        return _inline_text(token)
    if token.type in ("fence", "code_block"):
        return token.content.strip()
    if token.type == "html_block":
        return _html_text(token.content)
    return ""


# Elements that sit inside a line of text: their tags join what is on either side ("<b>flu</b>shing" is one word).
# Any other tag (a block, a cell, <br>, an element this list does not know) separates words.
_INLINE_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins", "kbd", "mark",
    "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
})
_HIDDEN_TAGS = frozenset({"script", "style"})  # their contents are code, not text for a reader
_TAG_NAME = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")


_ANY_TAG = re.compile(r"<[^>]*>?")  # a tag, or an unclosed one at the end


class _HtmlText(HTMLParser):
    """The reader's text of a piece of HTML: tags dropped, entities unescaped, comments and the contents of
    <script> and <style> left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag not in _INLINE_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs) -> None:  # <br/>, <script/>: nothing is opened
        if tag not in _INLINE_TAGS and tag not in _HIDDEN_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(self._hidden - 1, 0)
        elif tag not in _INLINE_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _html_text(html: str) -> str:
    """The words of an HTML block, as plain text on one line. Markup html.parser gives up on (it raises on some
    malformed declarations, "<![note]>") is read with its tags simply taken out, so no word is lost to it."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):
        return " ".join(html_unescape(_ANY_TAG.sub(" ", html)).split())
    return " ".join("".join(parser.parts).split())


def _table_block(tokens: list) -> Block | None:
    rows: list[list[str]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(_inline_text(token))
    lines = [" | ".join(cell for cell in row) for row in rows if any(row)]
    if not lines:
        return None
    return Block("table", "\n".join(lines), rows=tuple(lines[1:]), header=lines[0])


def _inline_text(token) -> str:
    """Plain text of an inline token: emphasis and links dropped to their words, HTML tags dropped (<br> to '; ', a
    tag that is not inline to a space; the contents of <script> and <style> left out)."""
    parts: list[str] = []
    hidden = False
    for child in token.children or []:
        if child.type == "html_inline":
            hidden = _inline_tag(child.content, parts, hidden)
        elif hidden:
            continue
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return " ".join("".join(parts).split())


def _inline_tag(html: str, parts: list[str], hidden: bool) -> bool:
    """What one inline HTML tag adds to `parts`; returns whether the text after it is inside <script> or <style>."""
    tag = _TAG_NAME.match(html)
    if tag is None:  # a comment, a declaration, a processing instruction
        return hidden
    closing, name = tag.group(1) == "/", tag.group(2).lower()
    if name in _HIDDEN_TAGS:
        return not closing and not html.rstrip().endswith("/>")
    if not hidden and name == "br":
        parts.append("; ")
    elif not hidden and name not in _INLINE_TAGS:
        parts.append(" ")
    return hidden
