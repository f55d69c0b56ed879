"""Cutting pages into passages: the blocks of each section (blocks.py) packed into passages within a word,
character and word-piece budget (lists, tables and quotes kept whole with their lead-in where they fit, short bits
merged), and the sentences of each passage, which are embedded on their own.

Everything here is a pure function of the pages: no model, no index.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

from nets_search.corpus.blocks import Block, page_sections
from nets_search.text import sentence_spans, sha256_text, word_count
from nets_search.types import Page, Passage


@dataclass(frozen=True)
class SplitSettings:
    """How pages become passages. Recorded in the manifest: changing it re-splits (and re-embeds) everything."""

    max_words: int = 180
    min_words: int = 40
    max_chars: int = 1000
    max_tokens: int = 256  # the encoder's window, in its own word pieces, breadcrumb and special tokens included

    def as_dict(self) -> dict:
        return {"max_words": self.max_words, "min_words": self.min_words, "max_chars": self.max_chars,
                "max_tokens": self.max_tokens}


TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class _Limits:
    """The size limits for one section: the settings, plus the encoder's token count of the embedded text
    (breadcrumb + passage), so that no passage is longer than the encoder reads."""

    settings: SplitSettings
    prefix: str = ""
    count_tokens: TokenCounter | None = None

    @property
    def max_chars(self) -> int:
        return self.settings.max_chars

    @property
    def min_words(self) -> int:
        return self.settings.min_words

    def fits(self, text: str) -> bool:
        if len(text) > self.settings.max_chars or word_count(text) > self.settings.max_words:
            return False
        return self.count_tokens is None or self.count_tokens(f"{self.prefix}\n{text}") <= self.settings.max_tokens



def split_page(
    page: Page, settings: SplitSettings = SplitSettings(), count_tokens: TokenCounter | None = None
) -> list[Passage]:
    """Heading-aware passages: never across sections, lists/tables kept with their lead-in, short bits merged.

    With `count_tokens` (the encoder's tokenizer) every passage, with its breadcrumb, fits the encoder's window."""
    passages: list[Passage] = []
    seen: set[str] = set()
    for section_index, section in enumerate(page_sections(page)):
        breadcrumb = f"{page.title} › {section.heading}" if section.heading else page.title
        limits = _Limits(settings, breadcrumb, count_tokens)
        for text in _pack(_units(section.blocks, limits), limits):
            passage = _make_passage(page, section.heading, text, len(passages), section_index, seen)
            seen.add(passage.passage_id)
            passages.append(passage)
    return passages


def _units(blocks: tuple[Block, ...], settings: _Limits) -> list[str]:
    """Blocks glued into units: a paragraph followed by a list, table or quote introduces it and stays with it."""
    units: list[str] = []
    glue_next = False
    for block in blocks:
        pieces = _cut(block, settings)
        if glue_next and block.kind in ("list", "table", "quote") and settings.fits(units[-1] + "\n" + pieces[0]):
            units[-1] += "\n" + pieces.pop(0)
        units.extend(pieces)
        glue_next = block.kind == "paragraph"
    return units


def _cut(block: Block, settings: _Limits) -> list[str]:
    """A block as one piece, or cut at sentences / list items / table rows when it alone is too big."""
    if settings.fits(block.text):
        return [block.text]
    if block.kind == "table":
        if settings.fits(f"{block.header}\n{block.header}"):
            return _pack_lines(list(block.rows), settings, header=block.header)
        return _pack_lines([block.header, *block.rows], settings)  # a header this wide leaves no room to repeat it
    if block.kind == "list":
        return _pack_lines(list(block.rows), settings)
    return _pack_lines([block.text[a:b] for a, b in sentence_spans(block.text)], settings, joiner=" ")


def _pack_lines(lines: list[str], settings: _Limits, header: str = "", joiner: str = "\n") -> list[str]:
    pieces: list[str] = []
    current = header
    part_limits = dataclasses.replace(settings, prefix=f"{settings.prefix}\n{header}") if header else settings
    for line in lines:
        for part in _hard_wrap(line, settings.max_chars - len(header) - 1, part_limits):
            candidate = f"{current}{joiner}{part}" if current else part
            if current and current != header and not settings.fits(candidate):
                pieces.append(current)
                candidate = f"{header}{joiner}{part}" if header else part
            current = candidate
    if current and current != header:
        pieces.append(current)
    return pieces


def _hard_wrap(text: str, limit: int, settings: _Limits) -> list[str]:
    """Last resort for one sentence longer than the caps: cut at spaces, by characters, then (for text dense in
    word pieces, such as lab values) in halves until every piece fits the encoder's window."""
    if len(text) <= limit and settings.fits(text):
        return [text]
    pieces = _wrap_chars(text, limit) if len(text) > limit else _halves(text)
    if pieces == [text]:
        return pieces  # nothing left to cut
    return [piece for part in pieces for piece in _hard_wrap(part, limit, settings)]


def _halves(text: str) -> list[str]:
    middle = len(text) // 2
    cut = text.rfind(" ", 0, middle + 1)
    if cut <= 0:
        cut = middle
    return [part for part in (text[:cut].strip(), text[cut:].strip()) if part] or [text]


def _wrap_chars(text: str, limit: int) -> list[str]:
    limit = max(limit, 1)
    out, line = [], ""
    for word in text.split(" "):
        while len(word) > limit:
            if line:
                out.append(line)
                line = ""
            out.append(word[:limit])
            word = word[limit:]
        if line and len(line) + 1 + len(word) > limit:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        out.append(line)
    return out


def _pack(units: list[str], settings: _Limits) -> list[str]:
    """Greedy packing of units up to the size limits, then short passages merged with a neighbour."""
    passages: list[str] = []
    for unit in units:
        if passages and settings.fits(passages[-1] + "\n\n" + unit):
            passages[-1] += "\n\n" + unit
        else:
            passages.append(unit)
    return _merge_short(passages, settings)


def _merge_short(passages: list[str], settings: _Limits) -> list[str]:
    merged: list[str] = []
    for text in passages:
        short = word_count(text) < settings.min_words
        if merged and (short or word_count(merged[-1]) < settings.min_words):
            candidate = merged[-1] + "\n\n" + text
            if len(candidate) <= settings.max_chars and (settings.count_tokens is None or settings.fits(candidate)):
                merged[-1] = candidate
                continue
        merged.append(text)
    return merged


def _make_passage(
    page: Page, section: str, text: str, position: int, section_index: int, taken: set[str]
) -> Passage:
    """The id hashes the passage's content and place (page, section), so an unchanged passage keeps it."""
    passage_id = base = sha256_text(page.doc_id, page.title, section, text)[:16]
    repeat = 1
    while passage_id in taken:  # the same text twice in one section
        repeat += 1
        passage_id = f"{base}-{repeat}"
    return Passage(
        passage_id=passage_id,
        doc_id=page.doc_id,
        title=page.title,
        section=section,
        text=text,
        position=position,
        section_index=section_index,
        source=page.source,
    )


def sentence_units(passages: list[Passage]) -> list[tuple[int, int, int, str]]:
    """(passage row, start, end, embedded text) of every sentence of every passage. A sentence is embedded with
    its page › section breadcrumb, as its passage is, so that "what are the symptoms" can match a table row
    whose words alone do not say what they are symptoms of."""
    units = []
    for row, passage in enumerate(passages):
        for start, end in sentence_spans(passage.text):
            units.append((row, start, end, f"{passage.breadcrumb}\n{passage.text[start:end]}"))
    return units
