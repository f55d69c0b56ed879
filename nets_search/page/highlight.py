"""Safe HTML for passages and questions on the page: escape first, then mark.

Everything a reader types and everything in the corpus is treated as plain text. The page renders it through
`st.markdown(..., unsafe_allow_html=True)` so that it can add <mark> and emphasis; that is only safe because the
text is escaped here piece by piece *before* any tag is added, and because the output is built so that Markdown
cannot act on it either:

- `& < > " '` become entities, so no tag or attribute can be smuggled in;
- the characters Markdown and Streamlit's own Markdown extensions act on (`* _ [ ] ( ) ` ~ # | $ : \\` and
  friends) become numeric entities, so `**x**`, `[x](javascript:...)`, `$x$` and `:red[x]` stay literal;
- newlines become `<br>`, so the whole fragment is one line: a blank line can never end the HTML block and hand
  the rest of the text back to the Markdown parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nets_search.index.lexical import analyse
from nets_search.text import WORD_RE, normalise_unicode, words

# Markdown, GFM and Streamlit-directive characters, written as numeric entities so no parser acts on them.
_MARKDOWN_CHARS = "\\`*_{}[]()#|~$:^"
_ENTITY = {ch: f"&#{ord(ch)};" for ch in _MARKDOWN_CHARS} | {
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"
}
_NEWLINES = re.compile(r"\r\n|\r|\n")

# Question words that BM25's short stop list keeps but that would only add noise as highlights.
_NOT_MARKED = frozenset(
    "i me my mine myself we our you your he she his her they them their am is are was were be been being "
    "do does did doing done can could should would will shall may might must what why how when where which "
    "who whom whose get gets got getting go goes going still also just really about any anything some "
    "something much many more most very too there here have has had having".split()
)


def escape_text(text: str) -> str:
    """Plain text → one line of inert HTML (entities for HTML and Markdown characters, <br> for newlines)."""
    escaped = "".join(_ENTITY.get(ch, ch) for ch in _NEWLINES.sub("\n", text))  # one pass: nothing escaped twice
    return escaped.replace("\n", "<br>")


def escape_attribute(value: str) -> str:
    """A value for a double-quoted HTML attribute (also inert for Markdown)."""
    return escape_text(value).replace("<br>", " ")


def query_terms(question: str) -> frozenset[str]:
    """The question's index terms (the same analysis BM25 uses: stop words dropped, stemmed, spelling folded),
    so the words that light up are the words the lexical search matched."""
    kept = [w for w in words(normalise_unicode(question or "").lower().replace("'", "")) if w not in _NOT_MARKED]
    return frozenset(analyse(" ".join(kept)))


def _word_matches(word: str, terms: frozenset[str]) -> bool:
    if not terms:
        return False
    analysed = analyse(word)
    return bool(analysed) and analysed[0] in terms


def mark_words(text: str, terms: frozenset[str]) -> str:
    """Escape `text` and wrap each word whose index term is in `terms` in <mark>."""
    out: list[str] = []
    position = 0
    for match in WORD_RE.finditer(text):
        out.append(escape_text(text[position : match.start()]))
        word = escape_text(match.group())
        out.append(f"<mark>{word}</mark>" if _word_matches(match.group(), terms) else word)
        position = match.end()
    out.append(escape_text(text[position:]))
    return "".join(out)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def valid_span(span: tuple[int, int] | None, length: int) -> Span | None:
    """The best-sentence span if it is a real, non-empty range inside the text; otherwise None."""
    if not span or len(span) != 2:
        return None
    start, end = int(span[0]), int(span[1])
    if 0 <= start < end <= length:
        return Span(start, end)
    return None


def highlight(text: str, terms: frozenset[str], best_sentence: tuple[int, int] | None = None) -> str:
    """Safe HTML for a passage: matched words in <mark>, the best-answering sentence (if any) emphasised."""
    span = valid_span(best_sentence, len(text))
    if span is None:
        return mark_words(text, terms)
    before = mark_words(text[: span.start], terms)
    best = mark_words(text[span.start : span.end], terms)
    after = mark_words(text[span.end :], terms)
    return f'{before}<strong class="best-sentence">{best}</strong>{after}'
