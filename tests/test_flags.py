"""assist.flags: the conversation rules one by one, on hand-built analyses (no models)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from assist.conversation import Conversation
from assist.flags import RULES, Flag, FlagConfig, FlagTracker, evaluate
from assist.flags.rules import BY_REASON
from assist.settings import BY_NAME, Settings
from assist.types import Analysis, IntentResult, Message, SentimentResult

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def analysis(
    label: str = "track_order", score: float = 0.0, reason: str | None = None, text: str = ""
) -> Analysis:
    mood = "negative" if score < -0.2 else "positive" if score > 0.2 else "neutral"
    return Analysis(
        text,
        IntentResult(label, 0.8, ((label, 0.8),), reason),
        SentimentResult(mood, score),  # type: ignore[arg-type]
        (),
        np.zeros(4, dtype=np.float32),
    )


Turn = tuple[str, str] | tuple[str, str, Analysis]


def conversation(*turns: Turn, alpha: float = 1.0, minutes: bool = True) -> Conversation:
    """Customer turns without an analysis get a neutral track_order one; ts one minute apart."""
    conv = Conversation("t", trend_alpha=alpha)
    for i, turn in enumerate(turns):
        role, text = turn[0], turn[1]
        ts = T0 + timedelta(minutes=i) if minutes else None
        found = turn[2] if len(turn) == 3 else analysis(text=text)
        conv.add(Message("t", role, text, ts), found if role == "customer" else None)  # type: ignore[arg-type]
    return conv


def cust(score: float = 0.0, label: str = "track_order", reason: str | None = None) -> Turn:
    return ("customer", f"{label} {score}", analysis(label, score, reason))


def reasons(flags: list[Flag], reason: str) -> list[int]:
    return [f.message_index for f in flags if f.reason == reason]


# -- the table -------------------------------------------------------------------------------


def test_every_rule_is_declared_once_with_known_settings_and_severity() -> None:
    names = [r.reason for r in RULES]
    assert len(names) == len(set(names))
    assert set(names) == {
        "negative_trend",
        "escalation_intent",
        "unsure",
        "abusive",
        "pii_in_reply",
        "long_wait",
    }
    for rule in RULES:
        assert rule.doc and all(name in BY_NAME for name in rule.settings)
    assert {r.reason: r.severity for r in RULES} == {
        "negative_trend": "medium",
        "escalation_intent": "high",
        "unsure": "low",
        "abusive": "high",
        "pii_in_reply": "high",
        "long_wait": "medium",
    }


def test_flag_json_and_validation() -> None:
    flag = Flag("manual", 3, "low", "a supervisor asked to look")
    assert flag.to_json() == {
        "reason": "manual",
        "message_index": 3,
        "severity": "low",
        "detail": "a supervisor asked to look",
    }
    with pytest.raises(ValueError, match="reason"):
        Flag("bored", 0, "low", "")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="severity"):
        Flag("manual", 0, "urgent", "")  # type: ignore[arg-type]


def test_config_reads_the_declared_settings() -> None:
    assert FlagConfig.from_settings(None) == FlagConfig()
    s = Settings(
        {
            "escalation.trend_threshold": -0.5,
            "flags.trend_window": 4,
            "flags.unsure_turns": 3,
            "flags.wait_minutes": 12.5,
        }
    )
    config = FlagConfig.from_settings(s, ["support@shop.test"])
    assert config == FlagConfig(-0.5, 4, 3, 12.5, ("support@shop.test",))


def test_a_calm_conversation_raises_nothing() -> None:
    conv = conversation(cust(0.3), ("agent", "Let me check."), cust(0.5), ("agent", "Done!"))
    assert evaluate(conv, now=T0 + timedelta(hours=5)) == []


# -- negative trend --------------------------------------------------------------------------


def test_trend_flags_once_when_the_window_is_reached() -> None:
    conv = conversation(cust(-0.5), ("agent", "Sorry."), cust(-0.6), cust(-0.7), cust(-0.8))
    flags = evaluate(conv, now=T0)
    (flag,) = [f for f in flags if f.reason == "negative_trend"]
    assert flag.message_index == 3  # the third customer message below the threshold
    assert flag.severity == "medium"
    assert flag.detail == "sentiment trend -0.70 below -0.35 for 3 customer messages"


def test_trend_run_is_broken_by_a_recovery_and_can_flag_again() -> None:
    conv = conversation(
        cust(-0.5), cust(-0.6), cust(0.2), cust(-0.5), cust(-0.5), cust(-0.9), cust(0.1),
        cust(-0.4), cust(-0.4), cust(-0.4),
    )  # fmt: skip
    assert reasons(evaluate(conv, now=T0), "negative_trend") == [5, 9]


def test_trend_reads_the_smoothed_trend_not_single_scores() -> None:
    # alpha 0.4: one -0.9 after calm turns leaves the trend above -0.35
    conv = conversation(cust(0.1), cust(0.1), cust(-0.9), cust(0.1), alpha=0.4)
    assert reasons(evaluate(conv, FlagConfig(trend_window=1), now=T0), "negative_trend") == []
    conv = conversation(cust(-0.9), cust(-0.9), alpha=0.4)
    assert reasons(evaluate(conv, FlagConfig(trend_window=1), now=T0), "negative_trend") == [0]


def test_trend_threshold_and_window_come_from_settings() -> None:
    conv = conversation(cust(-0.2), cust(-0.2), cust(-0.2))
    assert reasons(evaluate(conv, now=T0), "negative_trend") == []
    lenient = Settings({"escalation.trend_threshold": -0.1})
    assert reasons(evaluate(conv, lenient, now=T0), "negative_trend") == [2]
    short = Settings({"escalation.trend_threshold": -0.1, "flags.trend_window": 1})
    flags = evaluate(conv, short, now=T0)
    assert reasons(flags, "negative_trend") == [0]
    assert "for customer message" in flags[0].detail


# -- escalation intents ----------------------------------------------------------------------


def test_escalation_intent_flags_complaint_and_human_agent() -> None:
    conv = conversation(cust(label="complaint"))
    (flag,) = evaluate(conv, now=T0)
    assert (flag.reason, flag.message_index, flag.severity) == ("escalation_intent", 0, "high")
    assert "complaint" in flag.detail
    conv = conversation(cust(), ("agent", "Hi"), cust(label="contact_human_agent"))
    (flag,) = evaluate(conv, now=T0)
    assert flag.message_index == 2 and "human agent" in flag.detail


def test_escalation_intent_once_per_run_of_escalating_messages() -> None:
    conv = conversation(
        cust(label="complaint"),
        ("agent", "I'm sorry."),
        cust(label="contact_human_agent"),  # same episode: still escalating
        cust(label="track_order"),  # calmed down
        cust(label="complaint"),  # a new episode
    )
    assert reasons(evaluate(conv, now=T0), "escalation_intent") == [0, 4]


def test_other_intents_do_not_escalate() -> None:
    conv = conversation(cust(label="get_refund"), cust(label="cancel_order"))
    assert evaluate(conv, now=T0) == []


# -- unsure ----------------------------------------------------------------------------------


def test_unsure_needs_the_configured_run_of_other() -> None:
    conv = conversation(cust(label="other", reason="out_of_scope"), ("agent", "Sorry?"))
    assert reasons(evaluate(conv, now=T0), "unsure") == []
    conv = conversation(
        cust(label="other", reason="out_of_scope"),
        ("agent", "Sorry?"),  # agent turns don't break the customer's run
        cust(label="other", reason="low_confidence"),
    )
    (flag,) = evaluate(conv, now=T0)
    assert (flag.reason, flag.message_index, flag.severity) == ("unsure", 2, "low")
    assert flag.detail == "intent 'other' for 2 customer messages in a row (last: low confidence)"


def test_unsure_once_per_run_and_again_after_an_understood_turn() -> None:
    other = cust(label="other", reason="out_of_scope")
    conv = conversation(other, other, other, other, cust(), other, other)
    assert reasons(evaluate(conv, now=T0), "unsure") == [1, 6]
    three = Settings({"flags.unsure_turns": 3})
    assert reasons(evaluate(conv, three, now=T0), "unsure") == [2]


# -- long wait -------------------------------------------------------------------------------


def test_long_wait_from_the_oldest_unanswered_customer_message() -> None:
    conv = conversation(cust(), ("agent", "Hi!"), cust(), cust())  # customer at 9:02, 9:03
    assert reasons(evaluate(conv, now=T0 + timedelta(minutes=7)), "long_wait") == []
    flags = evaluate(conv, now=T0 + timedelta(minutes=8))
    (flag,) = [f for f in flags if f.reason == "long_wait"]
    assert (flag.message_index, flag.severity) == (2, "medium")
    assert flag.detail == "customer waiting 6 min for a reply (limit 5 min)"


def test_no_long_wait_once_answered_or_without_timestamps() -> None:
    later = T0 + timedelta(hours=3)
    conv = conversation(cust(), ("agent", "Here you go."))
    assert evaluate(conv, now=later) == []
    conv = conversation(cust(), cust(), minutes=False)
    assert evaluate(conv, now=later) == []


def test_long_wait_limit_from_settings_and_naive_times_are_utc() -> None:
    conv = conversation(cust())
    naive_now = (T0 + timedelta(minutes=8)).replace(tzinfo=None)
    assert reasons(evaluate(conv, now=naive_now), "long_wait") == [0]
    patient = Settings({"flags.wait_minutes": 10})
    assert reasons(evaluate(conv, patient, now=naive_now), "long_wait") == []
    assert reasons(evaluate(conv, patient, now=T0 - timedelta(hours=1)), "long_wait") == []


# -- several rules, ordering, the tracker ---------------------------------------------------


def test_flags_are_ordered_by_message_then_rule_table() -> None:
    conv = conversation(
        cust(-0.9, label="complaint"),
        ("agent", "Sorry."),
        cust(-0.9, label="other", reason="out_of_scope"),
        cust(-0.9, label="other", reason="out_of_scope"),
    )
    flags = evaluate(conv, Settings({"flags.trend_window": 1}), now=T0 + timedelta(hours=1))
    assert [(f.message_index, f.reason) for f in flags] == [
        (0, "negative_trend"),
        (0, "escalation_intent"),
        (2, "long_wait"),
        (3, "unsure"),
    ]


def test_tracker_reads_a_growing_conversation_like_evaluate_does() -> None:
    script: list[Turn] = [
        cust(-0.5, label="complaint"),
        ("agent", "Sorry, you idiot."),
        cust(-0.6, label="other"),
        cust(-0.7, label="other"),
        ("agent", "Card 4111 1111 1111 1111 on file."),
        cust(0.4),
        cust(-0.8, label="contact_human_agent"),
    ]
    full = conversation(*script)
    grown = Conversation("t", trend_alpha=1.0)
    tracker = FlagTracker()
    now = T0 + timedelta(minutes=30)
    for i, turn in enumerate(full.turns):
        grown.add(turn.message, turn.analysis)
        expected = evaluate(conversation(*script[: i + 1]), now=now)
        assert list(tracker.evaluate(grown, now=now)) == expected
    assert {f.reason for f in tracker.evaluate(grown, now=now)} == {
        "escalation_intent",
        "abusive",
        "unsure",
        "pii_in_reply",
        "negative_trend",
        "long_wait",
    }


def test_tracker_starts_over_on_new_settings_or_another_transcript() -> None:
    tracker = FlagTracker()
    conv = conversation(cust(-0.2), cust(-0.2))
    assert tracker.evaluate(conv, now=T0) == ()
    lenient = FlagConfig(trend_threshold=-0.1, trend_window=2)
    assert [f.reason for f in tracker.evaluate(conv, lenient, now=T0)] == ["negative_trend"]
    assert tracker.config == lenient
    other = conversation(cust(label="complaint"))  # shorter: not the transcript it was reading
    assert [f.reason for f in tracker.evaluate(other, now=T0)] == ["escalation_intent"]
    replaced = conversation(cust(-0.2), cust(label="complaint"))  # same length, other last turn
    assert [f.message_index for f in tracker.evaluate(replaced, now=T0)] == [1]


def test_rules_run_on_a_desk_snapshot_too() -> None:
    from assist.desk import snapshot

    conv = conversation(cust(label="complaint"), ("agent", "Sorry."), cust(), minutes=False)
    snap = snapshot(conv, "Ann")
    assert [f.reason for f in snap.flags] == ["escalation_intent"]
    assert snap.flags == tuple(evaluate(snap))  # the snapshot's turns and trend suffice
    assert snap.escalation == ()  # the existing signal reads the last customer turn only
    assert BY_REASON["escalation_intent"].severity == snap.flags[0].severity
