"""The flag rules, declared in one table: what each one watches, how serious, which settings.

Why detectors that are fed one turn at a time: the desk re-flags a conversation on every
message, and a rule that keeps its own small state (a run length, "already raised") costs the
same for message 200 as for message 2. Every rule raises at most once per *episode*: a run of
consecutive messages (of the role it watches) for which its condition holds. The flag goes on
the message where the episode became flag-worthy; the rule is armed again only once the
condition stops holding (the trend recovers, the customer asks something the model knows, an
agent reply comes without personal data...).

Severity, per the cost of a supervisor being late: a customer who asks for a manager, abuse in
either direction and personal data already sent are *high* (something happened that needs a
person now); a souring mood and a long wait are *medium* (it is heading somewhere bad); the
model not understanding the customer is *low* (the agent may well be coping).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from assist.conversation import ESCALATION_INTENTS
from assist.flags.abuse import lexicon
from assist.flags.model import FlagConfig, Reason, Severity, Step
from assist.flags.pii import CustomerWords, leaks, own_contacts
from assist.language import language_name


class Raise(NamedTuple):
    """What a detector reports: the message that raised the flag and why (the rule adds the
    reason and severity from its table row)."""

    message_index: int
    detail: str


class Detector:
    """One rule's state for one conversation. ``feed`` sees every turn in order; ``at`` is for
    rules that depend on the clock and is asked after the last turn."""

    def feed(self, step: Step) -> Raise | None:
        return None

    def at(self, now: datetime) -> Raise | None:
        return None


class Run:
    """Consecutive hits of a condition; ``hit`` is True exactly once per run, at the n-th."""

    def __init__(self, needed: int) -> None:
        self.needed = max(1, needed)
        self.length = 0

    def hit(self, holds: bool) -> bool:
        self.length = self.length + 1 if holds else 0
        return self.length == self.needed


def _analysed_customer(step: Step) -> bool:
    return step.role == "customer" and step.analysis is not None


class NegativeTrend(Detector):
    def __init__(self, config: FlagConfig) -> None:
        self.threshold = config.trend_threshold
        self.run = Run(config.trend_window)

    def feed(self, step: Step) -> Raise | None:
        if not _analysed_customer(step):
            return None
        assert step.analysis is not None
        if step.analysis.sentiment.reason is not None:
            return None  # a message the sentiment model can't read neither extends nor ends a run
        # at or below, like Conversation.escalation(), so the two signals agree
        low = step.trend is not None and step.trend <= self.threshold
        if not self.run.hit(low):
            return None
        n = self.run.needed
        messages = "customer message" if n == 1 else f"{n} customer messages"
        return Raise(
            step.index,
            f"sentiment trend {step.trend:.2f} below {self.threshold:.2f} for {messages}",
        )


_ESCALATION_WORDING = {
    "contact_human_agent": "customer asks for a human agent",
    "complaint": "customer makes a complaint",
}


class EscalationIntent(Detector):
    def __init__(self, config: FlagConfig) -> None:
        self.run = Run(1)

    def feed(self, step: Step) -> Raise | None:
        if not _analysed_customer(step):
            return None
        assert step.analysis is not None
        intent = step.analysis.intent
        if not self.run.hit(intent.label in ESCALATION_INTENTS):
            return None
        said = _ESCALATION_WORDING.get(intent.label, f"escalation intent {intent.label}")
        return Raise(
            step.index, f"{said} (intent {intent.label}, confidence {intent.confidence:.2f})"
        )


class Unsure(Detector):
    def __init__(self, config: FlagConfig) -> None:
        self.run = Run(config.unsure_turns)

    def feed(self, step: Step) -> Raise | None:
        if not _analysed_customer(step):
            return None
        assert step.analysis is not None
        intent = step.analysis.intent
        if not self.run.hit(intent.label == "other"):
            return None
        n = self.run.needed
        said = "the last customer message" if n == 1 else f"{n} customer messages in a row"
        why = f" (last: {intent.reason.replace('_', ' ')})" if intent.reason else ""
        if step.analysis.language != "en":  # not unclear: written in a language not read
            why = f" (last: written in {language_name(step.analysis.language)})"
        return Raise(step.index, f"intent 'other' for {said}{why}")


_ARTICLE = {"threat": "a threat", "slur": "a slur", "insult": "an insult"}


class Abusive(Detector):
    """Both directions: an agent swearing at a customer is as much a supervisor's business."""

    def __init__(self, config: FlagConfig) -> None:
        self.runs = {"customer": Run(1), "agent": Run(1)}

    def feed(self, step: Step) -> Raise | None:
        hit = lexicon().worst(step.message.text)
        if not self.runs[step.role].hit(hit is not None) or hit is None:
            return None
        what = _ARTICLE.get(hit.category, hit.category)
        return Raise(step.index, f'{step.role} message contains {what} ("{hit.shown}")')


class PiiInReply(Detector):
    def __init__(self, config: FlagConfig) -> None:
        self.own = own_contacts(config.own_contacts)
        self.customer = CustomerWords()
        self.run = Run(1)

    def feed(self, step: Step) -> Raise | None:
        if step.role == "customer":
            self.customer.add(step.message.text)
            return None
        found = leaks(step.message.text, self.customer, self.own)
        if not self.run.hit(bool(found)):
            return None
        kinds = list(dict.fromkeys(leak.masked for leak in found))
        return Raise(step.index, "agent reply contains " + " and ".join(kinds))


def aware(ts: datetime) -> datetime:
    """Timestamps without a zone are UTC (as the desk reads them)."""
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


class LongWait(Detector):
    """Counted from the *oldest* unanswered customer message, like the desk's waiting time: a
    customer who writes "hello?" every minute has still waited since their first message."""

    def __init__(self, config: FlagConfig) -> None:
        self.minutes = config.wait_minutes
        self.waiting: tuple[int, datetime] | None = None

    def feed(self, step: Step) -> Raise | None:
        if step.role == "agent":
            self.waiting = None
        elif self.waiting is None and step.ts is not None:
            self.waiting = (step.index, aware(step.ts))
        return None

    def at(self, now: datetime) -> Raise | None:
        if self.waiting is None:
            return None
        index, since = self.waiting
        waited = (aware(now) - since).total_seconds() / 60.0
        if waited <= self.minutes:
            return None
        limit = f"{self.minutes:g}"
        return Raise(index, f"customer waiting {waited:.0f} min for a reply (limit {limit} min)")


@dataclass(frozen=True)
class Rule:
    reason: Reason
    severity: Severity
    settings: tuple[str, ...]  # the declared settings (assist/settings.py) it reads
    doc: str
    detector: Callable[[FlagConfig], Detector]


RULES: tuple[Rule, ...] = (
    Rule(
        "negative_trend",
        "medium",
        ("escalation.trend_threshold", "flags.trend_window"),
        "The sentiment trend stays at or below the threshold for a window of customer messages.",
        NegativeTrend,
    ),
    Rule(
        "escalation_intent",
        "high",
        (),
        "A customer message's intent is a complaint or a request for a human agent.",
        EscalationIntent,
    ),
    Rule(
        "unsure",
        "low",
        ("flags.unsure_turns",),
        "Customer messages in a row the intent model can't place (intent 'other').",
        Unsure,
    ),
    Rule(
        "abusive",
        "high",
        (),
        "A customer or agent message contains abuse, profanity or a threat (lexicon).",
        Abusive,
    ),
    Rule(
        "pii_in_reply",
        "high",
        (),
        "An agent reply contains a card number, or an e-mail / phone the customer didn't give.",
        PiiInReply,
    ),
    Rule(
        "long_wait",
        "medium",
        ("flags.wait_minutes",),
        "The customer has waited longer than the limit for an agent reply.",
        LongWait,
    ),
)
BY_REASON = {rule.reason: rule for rule in RULES}
