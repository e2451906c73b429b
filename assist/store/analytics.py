"""Team analytics for a date range, in total, per intent and per agent, from the rollups.

Every figure is a ratio of sums kept in ``daily_stats`` (see ``rollup``), so a summary reads
``days x (intents + agents)`` rows -- a few thousand for a quarter -- whatever the number of
messages. Definitions (``None`` where the denominator is 0):

* acceptance rate = accepted / shown; edit rate = edited / shown (suggestion cards);
* mean edit distance over ``edited`` events; rejection counts per reason (``unspecified``:
  rejected without one);
* sentiment start -> end: mean over conversations of the first and the latest customer
  message's sentiment score;
* flags per 100 chats = 100 x flags / conversations;
* mean time to first reply: first agent message after the first customer message, in seconds.

Feedback counts by the event's day, intent and agent; conversation figures by the day the
conversation started, its intent (the first customer intent other than ``other``) and agent.
Days are UTC; ``end`` is inclusive. The ``""`` key collects rows without an intent or agent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from assist.store.schema import REJECT_REASONS, ROLLUP_COUNTERS, daily_stats


@dataclass(frozen=True)
class Metrics:
    conversations: int
    suggestions_shown: int
    acceptance_rate: float | None
    edit_rate: float | None
    mean_edit_distance: float | None
    rejections: dict[str, int]
    sentiment_start: float | None
    sentiment_end: float | None
    flags: int
    flags_per_100_chats: float | None
    mean_first_reply_s: float | None

    @classmethod
    def from_sums(cls, s: dict[str, float]) -> Metrics:
        def ratio(a: float, b: float, scale: float = 1.0) -> float | None:
            return scale * a / b if b else None

        rejected = int(s["rejected"])
        reasons = {r: int(s[f"rejected_{r}"]) for r in REJECT_REASONS}
        reasons["unspecified"] = rejected - sum(reasons.values())
        return cls(
            conversations=int(s["conversations"]),
            suggestions_shown=int(s["shown"]),
            acceptance_rate=ratio(s["accepted"], s["shown"]),
            edit_rate=ratio(s["edited"], s["shown"]),
            mean_edit_distance=ratio(s["edit_distance_sum"], s["edited"]),
            rejections=reasons,
            sentiment_start=ratio(s["sentiment_start"], s["sentiment_n"]),
            sentiment_end=ratio(s["sentiment_end"], s["sentiment_n"]),
            flags=int(s["flags"]),
            flags_per_100_chats=ratio(s["flags"], s["conversations"], 100.0),
            mean_first_reply_s=ratio(s["reply_seconds"], s["replied"]),
        )


@dataclass(frozen=True)
class Summary:
    start: date
    end: date
    total: Metrics
    by_intent: dict[str, Metrics] = field(default_factory=dict)
    by_agent: dict[str, Metrics] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "total": asdict(self.total),
            "by_intent": {k: asdict(v) for k, v in self.by_intent.items()},
            "by_agent": {k: asdict(v) for k, v in self.by_agent.items()},
        }


def summary(conn: Connection, start: date, end: date) -> Summary:
    """The figures above for the UTC days ``start``..``end`` (inclusive)."""
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    sums = [func.coalesce(func.sum(daily_stats.c[name]), 0) for name in ROLLUP_COUNTERS]
    query = (
        select(daily_stats.c.dim, daily_stats.c.key, *sums)
        .where(daily_stats.c.day >= start, daily_stats.c.day <= end)
        .group_by(daily_stats.c.dim, daily_stats.c.key)
    )
    per: dict[str, dict[str, dict[str, float]]] = {"intent": {}, "agent": {}}
    total: dict[str, float] = defaultdict(float)
    for dim, key, *values in conn.execute(query):
        row = dict(zip(ROLLUP_COUNTERS, (float(v) for v in values), strict=True))
        if not any(row.values()):  # a bucket a conversation moved out of (intent now known)
            continue
        per[dim][key] = row
        if dim == "intent":  # every contribution is in both dims once: count one of them
            for name, value in row.items():
                total[name] += value
    empty = dict.fromkeys(ROLLUP_COUNTERS, 0.0)
    return Summary(
        start=start,
        end=end,
        total=Metrics.from_sums({**empty, **total}),
        by_intent={k: Metrics.from_sums(v) for k, v in sorted(per["intent"].items())},
        by_agent={k: Metrics.from_sums(v) for k, v in sorted(per["agent"].items())},
    )
