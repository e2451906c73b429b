"""Word overlap of two replies: ROUGE-L F1 over lowercased word tokens.

Why a module of its own: the reply evaluation scores drafts with it, and the reply memory
uses the same measure to say how *typical* a past reply is for its intent (see
``assist.reply_memory.typicality``); both must count words the same way.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import LCSseq

_TOKEN_RE = re.compile(r"\{\{[^{}]*\}\}|[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lowercased alphanumeric tokens; a ``{{Placeholder}}`` slot is one token."""
    return _TOKEN_RE.findall(text.lower())


def rouge_l_words(cand: list[str], ref: list[str]) -> float:
    """ROUGE-L F1 of two token lists (``words``), for callers that compare one text often."""
    if not cand or not ref:
        return float(cand == ref)
    lcs = LCSseq.similarity(cand, ref)
    return 2 * lcs / (len(cand) + len(ref))  # == 2PR/(P+R) with P=lcs/|c|, R=lcs/|r|


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1: the longest common word subsequence, as precision/recall's harmonic mean."""
    return rouge_l_words(words(candidate), words(reference))
