"""`assist flags`: a conversation as JSONL on stdin -> one JSON line per flag the rules raise.

Unlike ``assist suggest``, a bad line is fatal (exit 2, nothing on stdout): a flag points at a
message by its index, and skipping a line would shift every index after it. All bad lines are
reported, each with its number, before the models are even loaded. The messages form one
conversation in input order (``message_index`` counts messages, not blank lines), whatever
their ``conversation_id``, as for ``assist suggest``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from assist.engine import Engine
from assist.flags import FlagConfig, FlagTracker
from assist.messages_io import InputError, conversation_lines
from assist.settings import Settings
from assist.types import Analysis, Message

CONVERSATION_ID = "stdin"
BATCH = 32  # customer messages per model call


def parse_now(value: str | None) -> datetime:
    """``--now``: ISO-8601 (a trailing Z allowed); a time without a zone is UTC."""
    if value is None:
        return datetime.now(UTC)
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))  # ValueError: not ISO-8601
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def run(args: argparse.Namespace) -> int:
    try:
        now = parse_now(args.now)
    except ValueError:
        print(f"assist flags: error: --now is not an ISO-8601 time: {args.now!r}", file=sys.stderr)
        return 2
    messages: list[Message] = []
    errors: list[InputError] = []
    for item in conversation_lines(sys.stdin.buffer):
        if isinstance(item, InputError):
            errors.append(item)
        else:
            messages.append(item)
    if errors:
        for error in errors:
            print(f"assist flags: {error}", file=sys.stderr)
        print(f"assist flags: error: {len(errors)} bad line(s), no flags", file=sys.stderr)
        return 2
    if not messages:
        return 0  # nothing to flag; no need to load the models
    settings = Settings.load()
    engine = Engine.load(settings, generate=False, retrieval=False)
    conv = engine.conversation(CONVERSATION_ID)
    texts = [m.text for m in messages if m.role == "customer"]
    analyses: list[Analysis] = []
    for start in range(0, len(texts), BATCH):  # like `assist classify`: bounded model calls
        analyses.extend(engine.analyze_batch(texts[start : start + BATCH]))
    customer = iter(analyses)
    for message in messages:
        conv.add(message, next(customer) if message.role == "customer" else None)
    config = FlagConfig.from_settings(settings, engine.profile.facts().values())
    flags = FlagTracker(config).evaluate(conv, now=now)
    lines = [json.dumps(flag.to_json(), ensure_ascii=False) for flag in flags]
    if lines:
        sys.stdout.write("\n".join(lines) + "\n")
    return 0
