"""Abusive language: a short lexicon (``resources/flags/abuse.tsv``) matched on whole words.

Why a lexicon and not a model: the flag must be explainable ("contains a threat: 'kill you'")
and must not fire on a merely unhappy customer, which the sentiment trend already covers. A
few dozen phrases catch what a supervisor has to see; the file says what belongs in it.

Obfuscation basics: text and phrases are cut into the same tokens (runs of letters, digits and
the look-alike symbols), so apostrophes and punctuation never matter and a phrase matches only
whole tokens ("assistant" is not "ass", "Scunthorpe" is nothing). Inside a token each letter of a
phrase may be repeated ("fuuuck"), written as a look-alike ("sh1t", "a$$hole") or starred out one
star per letter ("f*ck", "f**k") - but never the first letter, so "****" matches nothing.

Every letter run is possessive and its two spellings (letters or stars) are disjoint, so the
match is linear in the text: no hostile input can make it backtrack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import groupby

LEXICON = ("flags", "abuse.tsv")
CATEGORIES = ("threat", "slur", "insult", "profanity")  # most serious first
MASKED = frozenset({"profanity", "slur"})  # shown as "f**k" in a flag's detail
# look-alikes people type for a letter (digits and symbols only: letters stay themselves)
LOOKALIKES = {"a": "@4", "b": "8", "e": "3", "i": "1!", "l": "1", "o": "0", "s": "$5", "t": "7"}
_TOKEN_RE = re.compile(r"[a-z0-9@$!*]+")
MAX_TOKEN = 40  # longer runs (hashes, ids, keyboard mashing) are no words of the lexicon
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


@dataclass(frozen=True)
class AbuseHit:
    category: str  # threat / slur / insult / profanity
    phrase: str  # the lexicon entry, not the text's spelling of it
    shown: str  # the phrase as a flag's detail may quote it: swear words and slurs starred
    start: int  # span in the token string (for tests and debugging, not in the message)
    end: int


def _mask(word: str) -> str:
    if len(word) <= 3:
        return word[0] + "*" * (len(word) - 1)
    return word[0] + "*" * (len(word) - 2) + word[-1]


def tokens(text: str) -> str:
    """``text`` as lower-case tokens joined by single spaces: the form every phrase matches."""
    out = []
    for token in _TOKEN_RE.findall(text.translate(_QUOTES).lower()):
        token = token.rstrip("!")  # "idiot!!" is "idiot"; "sh!t" keeps its "!"
        if token:
            out.append(token if len(token) <= MAX_TOKEN else "#")
    return " ".join(out)


def _letter(ch: str, count: int, first: bool) -> str:
    spelled = f"[{re.escape(ch + LOOKALIKES.get(ch, ''))}]{{{count},}}+"
    return spelled if first else f"(?:{spelled}|\\*{{{count}}})"


def phrase_pattern(phrase: str) -> str:
    """The regex (over ``tokens()`` output) for one lexicon phrase."""
    words = []
    for word in tokens(phrase).split():
        runs = [(ch, len(list(group))) for ch, group in groupby(word)]
        words.append("".join(_letter(ch, n, i == 0) for i, (ch, n) in enumerate(runs)))
    return " ".join(words)


@dataclass(frozen=True)
class Lexicon:
    entries: tuple[tuple[str, str], ...]  # (category, phrase), longest phrase first
    pattern: re.Pattern[str]  # any entry, on token boundaries
    singles: tuple[re.Pattern[str], ...]  # each entry alone, to tell which one matched
    masked_words: frozenset[str]  # one-word entries of a MASKED category

    def shown(self, category: str, phrase: str) -> str:
        """``phrase`` with its swear words starred out ("f**k off", "piece of s**t")."""
        if category not in MASKED:
            return phrase
        return " ".join(_mask(w) if w in self.masked_words else w for w in phrase.split())

    @classmethod
    def parse(cls, text: str, source: str = "<lexicon>") -> Lexicon:
        entries = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            category, sep, phrase = line.partition("\t")
            if not sep or category not in CATEGORIES or not tokens(phrase):
                raise ValueError(f"{source} line {lineno}: expected '<category>\\t<phrase>'")
            entries.append((category, phrase.strip()))
        # longest first, so "fuck you" is reported rather than the "fuck" inside it
        entries.sort(key=lambda e: -len(tokens(e[1])))
        alternatives = [phrase_pattern(p) for _, p in entries]
        return cls(
            tuple(entries),
            re.compile(rf"(?<![^ ])(?:{'|'.join(alternatives)})(?![^ ])"),
            tuple(re.compile(a) for a in alternatives),
            frozenset(p for c, p in entries if c in MASKED and " " not in p),
        )

    def find(self, text: str) -> list[AbuseHit]:
        """Every lexicon phrase in ``text``, in reading order."""
        hits = []
        for m in self.pattern.finditer(tokens(text)):
            for (category, phrase), single in zip(self.entries, self.singles, strict=True):
                if single.fullmatch(m.group()):
                    shown = self.shown(category, phrase)
                    hits.append(AbuseHit(category, phrase, shown, m.start(), m.end()))
                    break
        return hits

    def worst(self, text: str) -> AbuseHit | None:
        """The most serious phrase in ``text`` (a threat before an insult before a swear)."""
        hits = self.find(text)
        return min(hits, key=lambda h: CATEGORIES.index(h.category)) if hits else None


@cache
def lexicon() -> Lexicon:
    """The bundled lexicon, read once."""
    path = resources.files("resources").joinpath(*LEXICON)
    return Lexicon.parse(path.read_text(encoding="utf-8"), "resources/" + "/".join(LEXICON))
