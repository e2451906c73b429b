"""What the library holds: macros (replies used as they are) and KB articles (cited by sentence).

An item carries every text the ranker matches a customer message against ("keys"): the reply or
article itself, its title, example customer questions and, for an article, each sentence. Matching
questions against questions works far better with a symmetric encoder than questions against
replies, which is why examples are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ItemKind = Literal["macro", "article"]
KeyKind = Literal["text", "title", "example", "sentence"]

_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“(\[]?[A-Z0-9{])")
_BULLET = re.compile(r"(?:[-*+]|\d+[.)])\s+")
_BLOCK_START = re.compile(r"\s*(?:#|[-*+]\s|\d+[.)]\s|>|\|)")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|`)")


@dataclass(frozen=True)
class Key:
    kind: KeyKind
    text: str
    span: tuple[int, int] = (0, 0)  # for sentences: where it lies in the article body


@dataclass(frozen=True)
class LibraryItem:
    item_id: str  # stable: "bitext:track_order", "kb:returns-policy", "user:faq.csv#3"
    kind: ItemKind
    title: str
    text: str  # macro: the reply; article: the body (citation spans index into it)
    intents: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    origin: str = ""  # where it came from, for messages
    keys: tuple[Key, ...] = field(default=(), compare=False)

    def with_keys(self) -> LibraryItem:
        """The same item with its match keys filled in (done once, when loaded)."""
        keys = [Key("text", " ".join(self.text.split())[:2000])]
        generic = {" ".join(re.split(r"[_\-\s]+", i)).lower() for i in self.intents}
        if self.title and self.title.lower() not in generic:  # "Cancel order" would tie them all
            keys.append(Key("title", self.title))
        keys += [Key("example", e) for e in self.examples]
        if self.kind == "article":
            keys += [
                Key("sentence", " ".join(self.text[a:b].split()), (a, b))
                for a, b in sentence_spans(self.text)
            ]
        return LibraryItem(
            self.item_id,
            self.kind,
            self.title,
            self.text,
            self.intents,
            self.examples,
            self.origin,
            tuple(keys),
        )


def _units(body: str) -> list[tuple[int, int]]:
    """Paragraphs and list items of Markdown (soft-wrapped lines joined), headings dropped."""
    units: list[tuple[int, int]] = []
    start = end = -1
    pos = 0
    for line in body.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        stripped = content.strip()
        if not stripped or stripped.startswith("#") or set(stripped) <= set("-*_=|:` "):
            if start >= 0:
                units.append((start, end))
            start = -1
        else:
            lead = len(content) - len(content.lstrip())
            bullet = _BULLET.match(content, lead)
            if start < 0 or _BLOCK_START.match(content):
                if start >= 0:
                    units.append((start, end))
                start = pos + (bullet.end() if bullet else lead)
            end = pos + len(content.rstrip())
        pos += len(line)
    if start >= 0:
        units.append((start, end))
    return units


def sentence_spans(body: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a Markdown body, so a citation can point into it."""
    spans: list[tuple[int, int]] = []
    for start, end in _units(body):
        cursor = start
        for m in _SENTENCE_END.finditer(body, start, end):
            spans.append((cursor, m.end()))
            cursor = m.end()
            while cursor < end and body[cursor].isspace():
                cursor += 1
        if cursor < end:
            spans.append((cursor, end))
    return [(a, b) for a, b in spans if len(body[a:b].split()) >= 3]


def placeholders(text: str) -> tuple[str, ...]:
    """The ``{{Slot}}`` names left in a text, in order, once each."""
    return tuple(dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(text)))


def plain(text: str) -> str:
    """Markdown inline marks removed, whitespace collapsed: text fit to paste into a chat."""
    return " ".join(_EMPHASIS.sub("", _LINK.sub(r"\1", text)).split())
