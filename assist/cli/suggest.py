"""`assist suggest`: a conversation as JSONL on stdin -> the ranked suggestions as JSON.

Malformed lines are reported on stderr and skipped; the rest of the conversation still counts.
With no usable customer message there is nothing to answer: that is a fatal error (exit 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from assist.engine import Engine
from assist.messages_io import InputError, conversation_lines
from assist.settings import Settings


def run(args: argparse.Namespace) -> int:
    messages = []
    for item in conversation_lines(sys.stdin.buffer):
        if isinstance(item, InputError):
            print(f"assist suggest: {item}", file=sys.stderr)
        else:
            messages.append(item)
    if not any(m.role == "customer" for m in messages):
        print("assist suggest: error: no valid customer message on stdin", file=sys.stderr)
        return 1
    settings = Settings.load()
    if args.seed is not None:
        settings.set("generation.seed", args.seed)
    if args.mode:
        settings.set("remote.mode", args.mode)
    if args.model is not None and not args.remote:
        print("assist suggest: error: --model needs --remote URL", file=sys.stderr)
        return 2
    engine = Engine.load(
        settings,
        generate=not args.no_generate,
        remote_url=args.remote,
        remote_model=args.model,
    )
    if engine.remote_error:
        print(f"assist suggest: warning: {engine.remote_error}", file=sys.stderr)
    if engine.generator_error:
        print(
            f"assist suggest: warning: no generated suggestion: {engine.generator_error}",
            file=sys.stderr,
        )
    conv = engine.conversation(messages[-1].conversation_id)
    for message in messages:
        # one JSONL may mix ids; the answer is for the conversation of the last line
        engine.add_message(replace(message, conversation_id=conv.conversation_id))
    notes: list[str] = []
    suggestions = engine.suggestions(conv, args.n, generate=not args.no_generate, notes=notes)
    for note in notes:
        print(f"assist suggest: {note}", file=sys.stderr)
    json.dump(
        {"suggestions": [s.to_json() for s in suggestions]},
        sys.stdout,
        ensure_ascii=False,
        indent=2,
    )
    sys.stdout.write("\n")
    return 0
