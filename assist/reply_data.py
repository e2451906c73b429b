"""Bitext's (customer message, agent reply) pairs, split like the intent head's data.

Why apart from ``assist.datasets``: that module is part of the intent and sentiment heads'
recipe (its hash keys their cache), and the reply model's data must not force a rebuild of
heads it does not change. The split is the same: ``reply_split("dev")`` holds exactly the
phrasings ``intent_split("dev")`` holds, so neither model trains on the other's test rows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assist.datasets import IntentSplit, _intent_split_of, phrasing_key
from assist.paths import data_dir


@dataclass(frozen=True)
class ReplyExample:
    """A customer message, its intent, the agent's reply and the row's annotated entity."""

    message: str
    intent: str
    reply: str
    entity_type: str = ""
    entity_value: str = ""


@cache
def _bitext_replies(root: Path) -> tuple[tuple[ReplyExample, IntentSplit], ...]:
    with open(root / "bitext" / "pairs.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return tuple(
        (
            ReplyExample(
                r["instruction"], r["intent"], r["response"], r["entity_type"], r["entity_value"]
            ),
            _intent_split_of(
                phrasing_key(
                    r["instruction"], r["entity_value"], r["start_offset"], r["end_offset"]
                )
            ),
        )
        for r in rows
    )


def reply_split(split: IntentSplit, root: Path | None = None) -> list[ReplyExample]:
    """Bitext (message, reply) pairs of one split: the same rows as ``intent_split``, so the
    reply model's dev rows are phrasings the intent head never saw either."""
    return [ex for ex, s in _bitext_replies(root or data_dir()) if s == split]
