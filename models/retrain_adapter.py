"""`assist models retrain --feedback FILE --adapter`: refine the reply model with the agents' own
replies, and install it as a local model only if it drafts at least as well.

What is learnt: every accepted or edited suggestion of the export whose customer message is
known (the ``target``, what the agent actually sent, is the reply to learn; an edit is the
agents' correction of a draft or a macro). Skipped, and counted: rejections, lines without a
message or a reply, messages not in English (the model writes English), messages that are dev
phrasings of the Bitext split (they would make the gate's figures lie), and repeats of the same
(message, reply).

How: the committed adapter (``resources/adapters/reply-lora/``) is trained on, not replaced:
``models.reply_lora.train`` continues from its weights for one epoch over the agents' replies
mixed with ``BITEXT_PER_REPLY`` Bitext training pairs each (at least ``MIN_BITEXT``), so a few
hundred house-style replies shift the model without making it forget the rest. The merged model
is exported with the bundled model's recipe (``models.export_hf.export_folder``) into a hidden
candidate folder beside the user models.

The gate: ``assist.eval_replies`` drafts the same dev rows with the model the settings select
now and with the candidate; the candidate is installed (as the user model ``--name``, default
``smollm2-135m-agents``) only if its ROUGE-L and similarity are no lower than the current
model's by more than ``TOLERANCE`` and it shows no more invented facts. The agent switches to
it in Settings (Language model) or with ``llm.model``; the current model is never replaced.
On two CPU cores a few hundred replies train in minutes (~90 tokens/s, ~4 s per example).
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assist.reply_data import ReplyExample, reply_split
from models.retrain import FeedbackLine, fold, is_english

DEFAULT_NAME = "smollm2-135m-agents"
MIN_REPLIES = 8  # fewer agents' replies teach nothing worth a model
BITEXT_PER_REPLY = 2
MIN_BITEXT = 32
TOLERANCE = 0.005  # ROUGE-L / similarity; about the spread of two seeds on 30 rows
DEV_LOSS_ROWS = 12  # the held-out loss printed during training (the gate is the eval)
SEED = 4321


@dataclass
class Replies:
    examples: list[ReplyExample]
    counts: Counter[str]

    def summary(self) -> str:
        order = ("lines", "used", "rejected", "no_reply", "not_english", "in_dev", "duplicate")
        return ", ".join(f"{k} {self.counts[k]}" for k in order if self.counts[k] or k == "used")


def reply_examples(
    lines: Sequence[FeedbackLine],
    dev: tuple[set[str], set[str]] = (set(), set()),
    english: Callable[[str], bool] = is_english,
) -> Replies:
    """The (message, reply) pairs an export teaches, with a count of every reason to skip."""
    from assist import datasets

    counts: Counter[str] = Counter(lines=len(lines))
    seen: set[tuple[str, str]] = set()
    dev_texts, dev_phrasings = dev
    out = []
    for line in lines:
        if line.action == "rejected":
            counts["rejected"] += 1
            continue
        message, target = (line.message or "").strip(), (line.target or "").strip()
        if not message or not target:
            counts["no_reply"] += 1
            continue
        if not english(message):
            counts["not_english"] += 1
            continue
        if fold(message) in dev_texts or datasets.phrasing_key(message) in dev_phrasings:
            counts["in_dev"] += 1
            continue
        key = (fold(message), fold(target))
        if key in seen:
            counts["duplicate"] += 1
            continue
        seen.add(key)
        out.append(ReplyExample(message, line.intent or "", target))
    counts["used"] = len(out)
    return Replies(out, counts)


def training_set(replies: Sequence[ReplyExample], seed: int = SEED) -> list[ReplyExample]:
    """The agents' replies plus Bitext training pairs, shuffled."""
    rng = random.Random(seed)
    bitext = reply_split("train")
    rng.shuffle(bitext)
    mixed = list(replies) + bitext[: max(MIN_BITEXT, BITEXT_PER_REPLY * len(replies))]
    rng.shuffle(mixed)
    return mixed


@dataclass(frozen=True)
class Verdict:
    install: bool
    reasons: tuple[str, ...]  # why not, when not


def judge(current: dict[str, Any], candidate: dict[str, Any]) -> Verdict:
    """Install only what drafts no worse than the model in use (see the module docstring)."""
    why = []
    for key in ("rouge_l", "similarity"):
        if candidate[key] < current[key] - TOLERANCE:
            why.append(f"{key} {candidate[key]:.3f} < {current[key]:.3f}")
    if candidate["invented_shown"] > current["invented_shown"]:
        why.append(
            f"invented facts shown {candidate['invented_shown']:.2f} > "
            f"{current['invented_shown']:.2f}"
        )
    return Verdict(not why, tuple(why))


def retrain_adapter(
    replies: Sequence[ReplyExample],
    name: str = DEFAULT_NAME,
    eval_rows: int = 30,
    dry_run: bool = False,
    root: Path | None = None,
    log: Callable[[str], None] = print,
) -> tuple[Verdict, dict[str, Any]]:
    """Train, export, evaluate and (unless ``dry_run`` or worse) install; returns the verdict
    and the evaluation report. Raises ModelError / ExportError naming what failed."""
    from assist.engine import Engine
    from assist.eval_replies import evaluate_replies, format_table
    from assist.paths import models_dir
    from assist.runtime.installed import user_root
    from assist.settings import Settings
    from models import reply_lora
    from models.export_hf import export_folder, replace_folder
    from models.llm import ADAPTER_DIR, export_hf

    users = user_root(root or models_dir())
    users.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".candidate-", dir=users))  # hidden: not listed
    try:
        data = training_set(replies)
        log(
            f"adapter: training on {len(replies)} agents' replies + {len(data) - len(replies)} "
            "Bitext pairs, from the committed adapter"
        )
        record = reply_lora.train(
            data,
            reply_lora.dev_sample(DEV_LOSS_ROWS),
            work / "adapter",
            start_from=ADAPTER_DIR,
            log=log,
        )
        log("adapter: merging and exporting to int4 ONNX ...")
        export_hf(work / "hf", adapter=work / "adapter")
        card = {"retrained": {"agents_replies": len(replies), "training": record}}
        candidate = export_folder(work / "hf", name, root=work / "models", force=True, card=card)
        log(f"adapter: drafting {eval_rows} dev rows with the current model and the new one ...")
        engine = Engine.load(Settings.load(), models_root=root)
        try:
            report = evaluate_replies(
                engine, eval_rows, baseline_model=candidate / "onnx", train_per_intent=10
            )
        finally:
            if engine.generator is not None:
                engine.generator.close()
        systems = report["systems"]
        if "model" not in systems:
            raise RuntimeError(f"no current local model to compare with: {engine.generator_error}")
        current, new = systems.pop("model"), systems.pop("baseline_model")
        report["systems"] = {"current model": current, "retrained": new, **systems}
        log(format_table(report))
        verdict = judge(current, new)
        if verdict.install and not dry_run:
            replace_folder(candidate, users / name)
        return verdict, report
    finally:
        shutil.rmtree(work, ignore_errors=True)
