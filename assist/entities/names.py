"""Person names from the few phrasings that introduce one.

Why patterns and not a name list or NER model: in support chat a name almost always arrives in
a fixed frame ("my name is X", "this is X", "Thanks, X", "invoice from Mr. X"). Inside those
frames a capitalised word is a name unless it is an everyday word ("I'm Sorry"), so a short
stop list does the work of a large first-name list, for any language's names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assist.entities.base import Candidate, lower_same_offsets
from assist.entities.places import gazetteer

# "Anna", "O'Neil", "McDonald", "Mary-Jane"; a possessive "'s" is left outside the name.
_UP, _LO = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"  # Latin-1 letters too: "José", "Ørsted"
_WORD = (
    rf"[{_UP}](?:[{_LO}]{{1,30}}|['’][{_UP}][{_LO}]{{1,30}})(?:[{_UP}][{_LO}]{{1,30}})?"
    rf"(?:-[{_UP}]?[{_LO}]{{1,30}})?"
)
_NAME = rf"{_WORD}(?:[ \t]{_WORD}){{0,2}}"
_HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam)\.?"

HONORIFIC_RE = re.compile(rf"\b{_HONORIFIC}[ \t]{_WORD}(?:[ \t]{_WORD})?")
NAME_RE = re.compile(_NAME)
TWO_WORD_NAME_RE = re.compile(rf"{_HONORIFIC}[ \t]{_NAME}|{_WORD}[ \t]{_WORD}")
# The frames, each ending where the name begins. They are matched on the lower-cased text
# (3x faster than IGNORECASE), the name after them on the original, case intact.
INTRO_FRAME_RE = re.compile(r"\b(?:my name is|my name's|name:|call me)[ \t]+")
# Weaker frames: "this is"/"I'm" are followed by adjectives as often as by names.
WEAK_FRAME_RE = re.compile(r"\b(?:this is|i am|i'm|i’m)[ \t]+")
_NOT_NAME_SUFFIX_RE = re.compile(
    r"[a-z]{3,}(?:ous|ing|ful|less|able|ible|ive|ly|ness|ment|ated|ized|ised)$"
)
FROM_FRAME_RE = re.compile(
    r"\b(?:bills?|invoices?|inovices?|receipts?|orders?|purchases?|packages?|account)"
    r"[ \t]+(?:from|frm|rfom|fromn|for|of)[ \t]+"
)
# A sign-off closes the message, so only its last characters are searched.
SIGNATURE_RE = re.compile(
    r"(?i:\b(?:thanks|thank you|thx|regards|best|cheers|sincerely|best regards|kind regards)\b"
    r"[ \t]*[,!.\-]?[ \t]*\n?[ \t]*-?[ \t]*)"
    rf"(?P<name>{_NAME})[ \t]*[.!]?\s*$"
)
_SIGNATURE_TAIL = 160
_SIGN_OFFS = ("thank", "thx", "regards", "best", "cheers", "sincerely")
_HONORIFICS = ("Mr", "Ms", "Mx", "Dr", "Prof", "Sir", "Madam", "Miss")

# Capitalised words that follow "I'm"/"this is"/"Thanks," without being names.
_NOT_NAMES_TEXT = """
Sorry Happy Trying Looking Not So Very Really Just Still Also Here There The A An In On At
Writing Calling Contacting Having Getting Going Unable Able Interested Waiting Done Fine Good
Ok Okay Sure Glad Upset Angry Frustrated Confused New Your Our My About With From For To It
This That Regarding Again Now Today Please Hi Hello Hey Dear Thanks Thank Team Support
Customer Service Sir Madam All Everyone Guys You Yes No Well Great Awesome Ready Tired Sick
Disappointed Annoyed Furious Mad Concerned Worried Afraid Lost Stuck Having Hoping Wondering
Unhappy Satisfied Pleased Grateful Thankful Currently Already Never Always Finally Again Using
Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June
July August September October November December Premium Platinum Gold Standard Pro Free
Freemium Basic Business Order Invoice Bill Account Refund Help Amazon Paypal Visa Mastercard
I We Us They Them He She Him Her Time Moving True False Real Fake Right Wrong Please Is Are
Was Mr Mrs Ms Miss Dr Prof Put Back Home Out Over Late Early Busy Available Online Offline
Broke Retired Single Married Pregnant Vegan English German French Spanish Italian American
British Canadian Chinese Japanese Indian Irish Scottish Dutch Polish Russian Mexican Brazilian
"""
NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Cut the name at its first everyday word; None when nothing name-like is left.

    A lone word that is an unambiguous place ("this is Paris") is not taken as a name either.
    """
    pos = start
    for word in re.finditer(r"\S+", text[start:end]):
        if word.group().strip(".") in NOT_NAMES:
            break
        pos = start + word.end()
    if pos == start:
        return None
    place = gazetteer().get(text[start:pos].lower())
    if place is not None and not place.ambiguous:
        return None
    return start, pos


def _framed(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the names that follow an intro or "bill from" frame."""
    lowered = lower_same_offsets(text)
    for frame, name_re in (
        (INTRO_FRAME_RE, NAME_RE),
        (FROM_FRAME_RE, TWO_WORD_NAME_RE),
        (WEAK_FRAME_RE, NAME_RE),
    ):
        for f in frame.finditer(lowered):
            m = name_re.match(text, f.end())
            if m is None:
                continue
            if frame is WEAK_FRAME_RE and _NOT_NAME_SUFFIX_RE.match(m.group().split()[0].lower()):
                continue  # "this is Ridiculous", "I'm Exhausted"
            yield m.start(), m.end()
    tail_start = max(0, len(text) - _SIGNATURE_TAIL)
    if not any(word in lowered[tail_start:] for word in _SIGN_OFFS):
        return
    tail = SIGNATURE_RE.search(text, tail_start)
    if tail is not None:
        yield tail.start("name"), tail.end("name")


def find_names(text: str) -> Iterator[Candidate]:
    honorifics = HONORIFIC_RE.finditer(text) if any(h in text for h in _HONORIFICS) else ()
    for m in honorifics:
        title_end = m.start() + len(m.group().split()[0])
        rest = _trim(text, title_end + 1, m.end())
        if rest is not None:
            yield Candidate(6, m.start(), rest[1], "person_name")
    for start, end in _framed(text):
        if HONORIFIC_RE.match(text, start):
            continue  # already yielded with its honorific
        span = _trim(text, start, end)
        if span is not None:
            yield Candidate(6, span[0], span[1], "person_name")
