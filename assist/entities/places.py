"""Cities and countries from the bundled GeoNames gazetteer (``resources/gazetteer``).

Why a token walk and not one big regex: an alternation of ~3,500 names is tried name by name at
every position, while a dict lookup of the next 1-4 tokens is O(tokens) whatever the list size.

Precision rules, because many place names are also words ("Nice", "Reading", "Mobile"):
a capitalised name counts anywhere; a lower-case one only right after a place preposition
("ship to london"); a name flagged ``ambiguous`` in the gazetteer needs both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from assist.entities.base import Candidate, lower_same_offsets

_TOKEN_RE = re.compile(r"[^\W\d_][\w'’-]*")  # to split gazetteer names into words
# In text: gazetteer names are ASCII, so a word starting with another letter never begins one.
_WORD_RE = re.compile(r"(?<![\w'’-])[a-z][\w'’-]*")
_PREV_WORD_RE = re.compile(r"([a-z]+)[ \t]+$")
_GAP_RE = re.compile(r"\.?[ \t]{1,3}")  # what may separate the words of one name ("St. Louis")
_PREPOSITIONS_TEXT = (
    "to from in into at near via frm frolm rfom fron ship shipping deliver "
    "delivering delivered deliveries delivery shipped send sent"
)
PLACE_PREPOSITIONS = frozenset(_PREPOSITIONS_TEXT.split())
_MAX_TOKENS = 4


@dataclass(frozen=True)
class Place:
    name: str
    type: str  # "delivery_city" | "delivery_country"
    ambiguous: bool


def _key(name: str) -> str:
    return " ".join(t.lower() for t in _TOKEN_RE.findall(name))


def _read_tsv(filename: str) -> list[list[str]]:
    text = resources.files("resources").joinpath("gazetteer", filename).read_text("utf-8")
    return [line.split("\t") for line in text.splitlines()[1:] if line.strip()]


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, Place]:
    """Lower-cased token key -> place; a country wins over a city of the same name."""
    table: dict[str, Place] = {}
    for name, _country, _pop, amb in _read_tsv("cities.tsv"):
        if name[:1].isalpha():
            table[_key(name)] = Place(name, "delivery_city", amb == "1")
    for name, _iso, amb in _read_tsv("countries.tsv"):
        table[_key(name)] = Place(name, "delivery_country", amb == "1")
    return table


@lru_cache(maxsize=1)
def _first_words() -> dict[str, int]:
    """First word of every name -> most words a name starting with it has (the fast reject)."""
    first: dict[str, int] = {}
    for key in gazetteer():
        words = key.split(" ")
        first[words[0]] = max(first.get(words[0], 0), len(words))
    return first


def _capitalised(text: str) -> bool:
    return all(t[0].isupper() for t in text.split() if t.lower() not in ("of", "de", "la", "el"))


def _name_at(lowered: str, start: int, most: int) -> tuple[int, Place] | None:
    """The longest gazetteer name starting at ``start`` (words joined by ``_GAP_RE``)."""
    table = gazetteer()
    words: list[str] = []
    ends: list[int] = []
    pos = start
    while len(words) < most:
        m = _WORD_RE.match(lowered, pos)
        if m is None:
            break
        words.append(m.group())
        ends.append(m.end())
        gap = _GAP_RE.match(lowered, m.end())
        if gap is None:
            break
        pos = gap.end()
    for n in range(len(words), 0, -1):
        place = table.get(" ".join(words[:n]))
        if place is not None:
            return ends[n - 1], place
    return None


def find_places(text: str) -> Iterator[Candidate]:
    first = _first_words()
    lowered = lower_same_offsets(text)
    # Fast reject: many messages contain no word that can start a place name.
    if first.keys().isdisjoint(_WORD_RE.findall(lowered)):
        return
    free_from = 0
    for m in _WORD_RE.finditer(lowered):
        most = first.get(m.group())
        if most is None or m.start() < free_from:
            continue
        found = _name_at(lowered, m.start(), min(most, _MAX_TOKENS))
        if found is None:
            continue
        end, place = found
        start = m.start()
        prev = _PREV_WORD_RE.search(lowered, max(0, start - 24), start)
        after_preposition = prev is not None and prev.group(1) in PLACE_PREPOSITIONS
        capitalised = _capitalised(text[start:end])
        accept = (
            after_preposition and capitalised
            if place.ambiguous
            else (capitalised or after_preposition)
        )
        if accept:
            free_from = end
            yield Candidate(7, start, end, place.type)
