"""The whole pipeline as an agent feels it, per customer message of the demo conversations:
analysis (entities + intent + sentiment + embedding), retrieval suggestions ready, first
generated token and decode speed. One JSON line; targets: suggestions <= 50 ms after the
message, first token <= 300 ms, decode >= 150 tok/s.
"""

from __future__ import annotations

import json
import time

import numpy as np

from assist.demo_source import load_demo
from assist.engine import Engine
from assist.events import GenerationDone, SuggestionsReady


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2) if values else float("nan")


def main() -> None:
    engine = Engine.load()
    analysis_ms, ready_ms, first_ms, rates = [], [], [], []
    for demo in load_demo():
        for message in demo.messages:
            t0 = time.perf_counter()
            event = engine.add_message(message)
            t1 = time.perf_counter()
            if event is None:
                continue
            analysis_ms.append((t1 - t0) * 1000)
            conv = engine.conversation(message.conversation_id)
            for ev in engine.suggest(conv):
                if isinstance(ev, SuggestionsReady):
                    ready_ms.append((time.perf_counter() - t0) * 1000)
                elif isinstance(ev, GenerationDone):
                    first_ms.append(ev.first_token_ms)
                    rates.append(ev.tokens_per_s)
    print(
        json.dumps(
            {
                "bench": "engine",
                "messages": len(analysis_ms),
                "analysis_p50_ms": pct(analysis_ms, 50),
                "suggestions_ready_p50_ms": pct(ready_ms, 50),
                "suggestions_ready_max_ms": round(max(ready_ms), 2) if ready_ms else None,
                "first_token_p50_ms": pct(first_ms, 50),
                "decode_tok_s_p50": pct(rates, 50),
            }
        )
    )


if __name__ == "__main__":
    main()
