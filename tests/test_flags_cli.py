"""`assist flags` end to end (a subprocess on the built models) and the desk's flags field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assist.desk import Desk
from assist.engine import Engine
from assist.messages_io import load_jsonl_messages
from tests.test_cli import assist

TRANSCRIPT = Path(__file__).parent / "data" / "flags_conversation.jsonl"
NOW = "2026-11-23T10:30:00Z"  # 25 minutes after the last, unanswered, customer messages


def flags_of(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


@pytest.mark.slow
def test_flags_on_the_committed_transcript() -> None:
    result = assist("flags", "--now", NOW, stdin=TRANSCRIPT.read_bytes())
    assert result.returncode == 0, result.stderr
    flags = flags_of(result.stdout)
    assert all(set(f) == {"reason", "message_index", "severity", "detail"} for f in flags)
    got = {(f["reason"], f["message_index"], f["severity"]) for f in flags}
    # the rules that read words and clocks are exact; the model-read ones are clear-cut here
    assert {
        ("abusive", 3, "high"),
        ("pii_in_reply", 4, "high"),
        ("long_wait", 5, "medium"),
        ("escalation_intent", 3, "high"),
        ("unsure", 6, "low"),
    } <= got
    assert [f["reason"] for f in flags].count("negative_trend") == 1
    assert [f["message_index"] for f in flags] == sorted(f["message_index"] for f in flags)
    out = result.stdout.decode()
    assert "4111" not in out and "bob.jones@" not in out, "a flag never repeats the data"


@pytest.mark.slow
def test_flags_reads_settings_and_defaults_now_to_the_clock(isolated_profile: Path) -> None:
    (isolated_profile / "settings.toml").write_text(
        "schema_version = 1\n[flags]\nwait_minutes = 30.0\nunsure_turns = 3\n"
    )
    result = assist("flags", "--now", NOW, stdin=TRANSCRIPT.read_bytes())
    assert result.returncode == 0, result.stderr
    reasons = [f["reason"] for f in flags_of(result.stdout)]
    assert "long_wait" not in reasons and "unsure" not in reasons
    assert "pii_in_reply" in reasons
    result = assist("flags", stdin=TRANSCRIPT.read_bytes())  # now: days after the transcript
    assert result.returncode == 0, result.stderr
    assert "long_wait" in [f["reason"] for f in flags_of(result.stdout)]


def test_malformed_input_is_fatal_and_names_every_bad_line() -> None:
    stdin = (
        b'{"role": "customer", "text": "you idiot"}\n\n{oops\n'
        b'{"role": "robot", "text": "x"}\n{"role": "agent", "text": "ok", "ts": "soon"}\n'
    )
    result = assist("flags", stdin=stdin)
    assert result.returncode == 2
    assert result.stdout == b""
    err = result.stderr.decode()
    assert "line 3: malformed JSON" in err
    assert "line 4: unknown role" in err
    assert "line 5: 'ts' is not ISO-8601" in err
    assert "line 1" not in err and "3 bad line(s)" in err


def test_bad_now_is_a_usage_error() -> None:
    result = assist("flags", "--now", "tomorrow-ish", stdin=b'{"role": "customer", "text": "hi"}\n')
    assert result.returncode == 2 and result.stdout == b""
    assert "--now" in result.stderr.decode()


def test_empty_input_has_no_flags() -> None:
    result = assist("flags", stdin=b"\n\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""


@pytest.mark.slow
def test_desk_snapshots_carry_the_flags_and_follow_settings() -> None:
    desk = Desk(Engine.load(generate=False, retrieval=False))
    messages = load_jsonl_messages(TRANSCRIPT.read_text(encoding="utf-8").splitlines())
    for message in messages:
        snap = desk.receive(message, "Ann Lee")
    reasons = {(f.reason, f.message_index) for f in snap.flags}
    assert {("abusive", 3), ("pii_in_reply", 4), ("escalation_intent", 3), ("unsure", 6)} <= reasons
    assert ("long_wait", 5) in reasons  # the snapshot is made now, days after the transcript
    assert snap.escalation, "the existing escalation signal still works"
    desk.engine.settings.set("flags.unsure_turns", 3)  # saved settings apply at once
    snap = desk.snapshot(messages[0].conversation_id)
    assert "unsure" not in {f.reason for f in snap.flags}
    assert snap.waiting_s(datetime(2026, 11, 23, 10, 30, tzinfo=UTC)) == 25 * 60
