"""The editors' glossary (`glossary.yaml` in the corpus folder): lay words readers use, mapped to the words our pages
use ("jab: injection"). The searcher expands a question with the entries it holds; the editor panel edits the file
(glossary_file.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from nets_search.corpus.files import load_yaml_file
from nets_search.errors import CorpusError
from nets_search.text import normalise_unicode, stem, words

GLOSSARY_FILE = "glossary.yaml"
GLOSSARY_MALFORMED = "not a valid glossary (write one 'lay words: our words' per line); the YAML breaks"


@dataclass(frozen=True)
class Glossary:
    entries: tuple[tuple[str, str], ...] = ()

    @classmethod
    def load(cls, path: Path) -> "Glossary":
        """Read `lay words: our words` lines; a missing file is an empty glossary. Read as a file of the corpus
        folder it is in: a link out of the folder, a pipe or a YAML alias is refused (see corpus_files)."""
        if not os.path.lexists(path):
            return cls()
        data = load_yaml_file(path, path.parent, GLOSSARY_MALFORMED) or {}
        if not isinstance(data, dict):
            raise CorpusError(f"{path.name}: write one 'lay words: our words' per line")
        entries = []
        for term, expansion in data.items():
            if isinstance(expansion, list):
                expansion = " ".join(str(e) for e in expansion)
            if term is None or expansion is None:
                raise CorpusError(f"{path.name}: the entry '{term}' has an empty side")
            entries.append((str(term).lower().strip(), str(expansion).strip()))
        return cls(tuple(sorted(entries)))

    def to_dict(self) -> dict[str, str]:
        return dict(self.entries)

    @classmethod
    def from_dict(cls, entries: dict[str, str]) -> "Glossary":
        """The inverse of to_dict: how an index version stores the glossary it was built with."""
        return cls(tuple(sorted(entries.items())))

    def words(self) -> list[str]:
        """The readers' words the glossary knows (its left sides, word by word): typed as they are, never
        "repaired"."""
        return list(dict.fromkeys(w for term, _ in self.entries for w in words(term)))

    def single_words(self) -> list[str]:
        """Left sides that are one word: a typo of one ("cofee") is repaired to it, so that its entry applies.
        (Not the words of longer entries: "goes" of "face goes red" would pull in unrelated names.)"""
        return [term for term, _ in self.entries if term.isalpha()]

    def expansions(self, text: str) -> list[str]:
        return [expansion for _, expansion in self.matches(text)]

    def matches(self, text: str) -> list[tuple[str, str]]:
        """The (term, expansion) entries whose term is in `text`, matched as whole words after stemming, so that
        "heart races" finds the entry "heart racing" and "tummies" finds "tummy"."""
        stemmed = f" {_stemmed(text)} "
        return [(term, expansion) for (term, expansion), key in zip(self.entries, self._keys) if key in stemmed]

    @cached_property
    def _keys(self) -> tuple[str, ...]:
        return tuple(f" {_stemmed(term)} " for term, _ in self.entries)


def _stemmed(text: str) -> str:
    return " ".join(stem(w) for w in words(normalise_unicode(text).lower().replace("'", "")))
