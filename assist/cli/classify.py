"""`assist classify`: one customer message per stdin line -> one JSON analysis per stdout line.

Lines are analysed in batches with the models loaded once, so 10,000 lines is one call. A bad
line (empty, invalid UTF-8, too long) is reported on stderr with its number and skipped.
"""

from __future__ import annotations

import argparse
import json
import sys

from assist.engine import Engine
from assist.messages_io import InputError, Line, message_texts


def run(args: argparse.Namespace) -> int:
    engine = Engine.load(generate=False, retrieval=False)
    out = sys.stdout
    batch: list[Line] = []
    rejected = 0

    def flush() -> None:
        for analysis in engine.analyze_batch([line.text for line in batch]):
            out.write(json.dumps(analysis.to_json(), ensure_ascii=False) + "\n")
        out.flush()
        batch.clear()

    for item in message_texts(sys.stdin.buffer):
        if isinstance(item, InputError):
            rejected += 1
            print(f"assist classify: {item}", file=sys.stderr)
            continue
        batch.append(item)
        if len(batch) >= max(1, args.batch):
            flush()
    if batch:
        flush()
    if rejected:
        print(f"assist classify: {rejected} line(s) skipped", file=sys.stderr)
    return 0
