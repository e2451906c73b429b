"""Local reply generation speed: int4 ONNX (onnxruntime, as the app runs it) vs PyTorch.

Prints ONE JSON line. Both run the same realistic prompt (3 conversation turns, 2 retrieved
macros, profile facts: a few hundred tokens), greedy, the same number of new tokens, in the
same process, one after the other. The peer is transformers ``generate`` in fp32 on the
weights dequantised from the same GGUF the ONNX model was built from.

first_token_ms: a conversation's first suggestion while the cache holds another conversation's
prompt (the shared system prompt and shop profile are reused), as in the app after warm-up.
first_token_next_turn_ms: the next customer turn of the same conversation (cached prefix).
first_token_cold_ms: empty KV cache (the very first request without ``Engine.warm_up``).
Needs the built model (``python -m models.build llm``) and the build extra (torch et al.).

Run: ``python bench/bench_generation.py [--tokens 96] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from assist.prompt import MAX_MACROS, build_reply_messages  # noqa: E402
from assist.runtime.generator import Generator, SamplingParams  # noqa: E402
from assist.types import Message  # noqa: E402

TURNS = [
    (
        "customer",
        "Hi, I returned a jacket two weeks ago and I still have not got my money "
        "back. I was told it would only take a few days, this is really annoying.",
    ),
    ("agent", "I'm sorry to hear that. Could you tell me when the parcel was delivered to us?"),
    (
        "customer",
        "The tracking says it was delivered on Monday last week. What is going on "
        "with my refund? I want this sorted today.",
    ),
]
NEXT_TURN = ("customer", "Also, can I get the refund as store credit instead?")
OTHER_TURN = ("customer", "Hi, do you ship to Canada?")
MACROS = [
    "Thank you for reaching out about your refund. Refunds are issued to the original payment "
    "method within 5-7 business days after we receive the returned item. You can follow the "
    "status under Order History using order {{Order Number}}.",
    "I understand how frustrating a delayed refund is. If more than 7 business days have "
    "passed since we received your return, reply with your order number and we will escalate "
    "it to our billing team right away.",
]
PROFILE = {"Company Name": "Acme Outfitters", "Support hours": "Mon-Fri 9:00-17:00"}


def messages(turns: list[tuple[str, str]]) -> list[dict[str, str]]:
    msgs = [Message("bench", role, text) for role, text in turns]  # type: ignore[arg-type]
    return build_reply_messages(msgs, MACROS[:MAX_MACROS], PROFILE, "get_refund")


def bench_onnx(gen: Generator, tokens: int, repeats: int) -> dict[str, float]:
    # min_tokens: decode speed is measured over the full length, not up to an early end of turn
    params = SamplingParams(temperature=0, max_tokens=tokens, min_tokens=tokens)
    one = SamplingParams(temperature=0, max_tokens=1)
    cold, new_conv, next_turn, decode, produced = [], [], [], [], []
    gen.generate(messages(TURNS), params)  # warm-up: first call pays one-off allocations
    for _ in range(repeats):
        gen.reset_cache()
        gen.generate(messages(TURNS), one)
        cold.append(gen.last_stats.first_token_s)
        gen.generate(messages([OTHER_TURN]), one)  # the app served another conversation
        gen.generate(messages(TURNS), params)
        s = gen.last_stats
        new_conv.append(s.first_token_s)
        if s.generated_tokens > 1:
            decode.append((s.generated_tokens - 1) / s.decode_s)
        produced.append(s.generated_tokens)
        gen.generate(messages([*TURNS, NEXT_TURN]), params)
        next_turn.append(gen.last_stats.first_token_s)
    return {
        "prompt_tokens": gen.encode(messages(TURNS)).size,
        "reused_tokens_next_turn": gen.last_stats.reused_tokens,
        "first_token_ms": 1000 * statistics.median(new_conv),
        "first_token_next_turn_ms": 1000 * statistics.median(next_turn),
        "first_token_cold_ms": 1000 * statistics.median(cold),
        "decode_tok_s": statistics.median(decode),
        "new_tokens": min(produced),
    }


def bench_transformers(prompt_ids: list[int], tokens: int, repeats: int) -> dict[str, float]:
    import torch
    from transformers import AutoModelForCausalLM

    from models.llm import gguf_path

    gguf = gguf_path()
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    ).eval()
    ids = torch.tensor([prompt_ids])
    common = {"do_sample": False, "pad_token_id": model.config.eos_token_id}
    first, decode = [], []
    with torch.inference_mode():
        model.generate(ids, max_new_tokens=2, min_new_tokens=2, **common)  # warm-up
        for _ in range(repeats):
            t0 = time.perf_counter()
            model.generate(ids, max_new_tokens=1, min_new_tokens=1, **common)
            t1 = time.perf_counter()
            model.generate(ids, max_new_tokens=tokens, min_new_tokens=tokens, **common)
            t2 = time.perf_counter()
            first.append(t1 - t0)
            decode.append((tokens - 1) / ((t2 - t1) - (t1 - t0)))
    return {
        "first_token_ms": 1000 * statistics.median(first),
        "decode_tok_s": statistics.median(decode),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=96, help="new tokens per reply")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    gen = Generator.load()
    onnx = bench_onnx(gen, args.tokens, args.repeats)
    # the peer decodes exactly as many tokens as the ONNX run did (it may stop at end of turn)
    peer = bench_transformers(
        gen.encode(messages(TURNS)).tolist(), int(onnx["new_tokens"]), args.repeats
    )
    print(
        json.dumps(
            {
                "bench": "generation",
                "prompt_tokens": int(onnx["prompt_tokens"]),
                "new_tokens": int(onnx["new_tokens"]),
                "first_token_ms": round(onnx["first_token_ms"], 1),
                "first_token_next_turn_ms": round(onnx["first_token_next_turn_ms"], 1),
                "first_token_cold_ms": round(onnx["first_token_cold_ms"], 1),
                "reused_tokens_next_turn": int(onnx["reused_tokens_next_turn"]),
                "decode_tok_s": round(onnx["decode_tok_s"], 1),
                "transformers_first_token_ms": round(peer["first_token_ms"], 1),
                "transformers_decode_tok_s": round(peer["decode_tok_s"], 1),
                "ratio": round(onnx["decode_tok_s"] / peer["decode_tok_s"], 2),
                "cpus": os.cpu_count(),
                "load_avg_1m": round(os.getloadavg()[0], 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
