"""Plain data that travels between the engine, the CLI, the app and the servers.

Everything here is a frozen dataclass with a ``to_json`` that produces exactly the wire format
documented in the README, so every consumer prints the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np

Role = Literal["customer", "agent"]
SentimentLabel = Literal["negative", "neutral", "positive"]
SuggestionSource = Literal["macro", "generated", "remote"]
# why a conversation is flagged for a supervisor (the rules in assist.flags, and the store's
# vocabulary); "manual" is set by a person, never by a rule
FlagReason = Literal[
    "negative_trend",
    "escalation_intent",
    "unsure",
    "abusive",
    "pii_in_reply",
    "long_wait",
    "manual",
]


@dataclass(frozen=True)
class Message:
    conversation_id: str
    role: Role
    text: str
    ts: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "role": self.role,
            "text": self.text,
            "ts": self.ts.isoformat() if self.ts else None,
        }


@dataclass(frozen=True)
class Entity:
    type: str
    value: str
    start: int
    end: int

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "value": self.value, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class IntentResult:
    label: str
    confidence: float
    top: tuple[tuple[str, float], ...]
    reason: str | None = None  # why the label is "other" (out of scope, unsure, language), if so

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label,
            "confidence": round(float(self.confidence), 4),
            "top": [[label, round(float(p), 4)] for label, p in self.top],
        }
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class SentimentResult:
    label: SentimentLabel
    score: float  # in [-1, 1]: P(positive) - P(negative)
    # why the score is not to be trusted, if so: "language:<code>" (the model reads English);
    # such a score stays out of the conversation's trend and its escalation rules
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "score": round(float(self.score), 4)}
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class TextAnalysis:
    """What the text models say about one message: the shared embedding plus the heads."""

    embedding: np.ndarray = field(repr=False, compare=False)
    intent: IntentResult
    sentiment: SentimentResult


@dataclass(frozen=True)
class Analysis:
    """The full per-message analysis: text models + entities."""

    text: str
    intent: IntentResult
    sentiment: SentimentResult
    entities: tuple[Entity, ...]
    embedding: np.ndarray = field(repr=False, compare=False)
    # the customer's language (ISO 639-1, ``assist.language``); "en" unless the evidence is
    # strong. Not English: the intent is "other" (reason "language:<code>") and the sentiment
    # (an English model) is not to be trusted
    language: str = "en"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "intent": self.intent.to_json(),
            "sentiment": self.sentiment.to_json(),
            "entities": [e.to_json() for e in self.entities],
        }
        if self.language != "en":  # like the intent's "reason": only when it says something
            out["language"] = self.language
        return out


@dataclass(frozen=True)
class Citation:
    """A KB article or macro a suggestion relies on, with the sentence that answers."""

    source_id: str
    title: str
    sentence: str = ""
    start: int = 0  # character span of `sentence` inside the article body
    end: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "title": self.title,
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Suggestion:
    text: str
    source: SuggestionSource
    macro_id: str | None = None
    citations: tuple[Citation, ...] = ()
    score: float = 0.0
    unfilled: tuple[str, ...] = ()  # placeholders left visible for the agent

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "source": self.source,
            "macro_id": self.macro_id,
            "citations": [c.to_json() for c in self.citations],
        }
