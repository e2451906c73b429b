"""Decode speed of the app's real drafts: speculative decoding vs one token per model call.

Prints ONE JSON line. The engine drafts replies to the same dev rows (the app's prompt, its past
reply note and its sampling settings: temperature, copy bias, seed) twice: with the generator
checking the tokens that continue the phrase it is copying several per model call (the app's
way), and with one token per call (the peer: how a pruned model decodes), alternating row by
row so both see the same machine. ``bench/bench_generation.py`` measures greedy decoding of a
fixed prompt; this one measures what an agent gets, on the data the acceptance depends on.

Needs the built models and ``../shared/data`` (the dev rows).
Run: ``python bench/bench_drafts.py [--n 40]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assist.engine import Engine  # noqa: E402
from assist.eval_replies import pick_examples  # noqa: E402
from assist.events import GenerationDone  # noqa: E402
from assist.overlap import rouge_l  # noqa: E402
from assist.reply_data import reply_split  # noqa: E402
from assist.runtime.generator import Generator  # noqa: E402
from assist.types import Message  # noqa: E402


def draft(engine: Engine, cid: str, message: str) -> tuple[str, GenerationDone]:
    """One draft for a new conversation, with only the fixed start of the prompt cached (as
    in the app after warm-up), so both ways pay the same prefill."""
    assert engine.generator is not None
    engine.generator.reset_cache()
    engine.warm_up()
    engine.add_message(Message(cid, "customer", message))
    done = None
    for event in engine.draft(engine.conversation(cid), seed=0):
        if isinstance(event, GenerationDone):
            done = event
    engine.conversations.pop(cid, None)
    assert done is not None, "no draft"
    return done.suggestion.text, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="dev rows")
    args = parser.parse_args()
    engine = Engine.load()
    generator = engine.generator
    assert isinstance(generator, Generator), engine.generator_error
    rows = generator.logit_rows
    dev = pick_examples(reply_split("dev"), args.n)
    draft(engine, "warm-up", dev[0].message)
    out: dict[str, dict[str, list[float]]] = {"speculative": {}, "one_per_call": {}}
    totals = {"tokens": 0, "calls": 0, "drafted": 0, "accepted": 0}
    for i, ex in enumerate(dev):
        for name, logit_rows in (("speculative", rows), ("one_per_call", 1)):
            generator.logit_rows = logit_rows
            text, done = draft(engine, f"bench-{name}-{i}", ex.message)
            figures = out[name]
            figures.setdefault("tok_s", []).append(done.tokens_per_s)
            figures.setdefault("first_ms", []).append(done.first_token_ms)
            figures.setdefault("rouge_l", []).append(rouge_l(text, ex.reply))
            if name == "speculative":
                s = generator.last_stats
                totals["tokens"] += s.generated_tokens
                totals["calls"] += s.model_calls + 1  # + the prefill's last step
                totals["drafted"] += s.drafted_tokens
                totals["accepted"] += s.accepted_tokens
    generator.logit_rows = rows
    spec, peer = out["speculative"], out["one_per_call"]
    print(
        json.dumps(
            {
                "bench": "drafts",
                "rows": len(dev),
                "logit_rows": rows,
                "copy_bias": engine.settings["generation.copy_bias"],
                "decode_tok_s_p50": round(statistics.median(spec["tok_s"]), 1),
                "one_per_call_decode_tok_s_p50": round(statistics.median(peer["tok_s"]), 1),
                "ratio": round(
                    statistics.median(spec["tok_s"]) / statistics.median(peer["tok_s"]), 2
                ),
                "first_token_ms_p50": round(statistics.median(spec["first_ms"]), 1),
                "one_per_call_first_token_ms_p50": round(statistics.median(peer["first_ms"]), 1),
                "tokens_per_call": round(totals["tokens"] / max(1, totals["calls"]), 2),
                "accepted_of_drafted": round(totals["accepted"] / max(1, totals["drafted"]), 2),
                "rouge_l": round(statistics.fmean(spec["rouge_l"]), 4),
                "one_per_call_rouge_l": round(statistics.fmean(peer["rouge_l"]), 4),
                "cpus": os.cpu_count(),
                "load_avg_1m": round(os.getloadavg()[0], 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
