"""`assist models retrain --feedback FILE [--adapter] [--dry-run]`: learn from the agents.

Refits the intent head with the agents' feedback (the rules: which lines teach what, what is
compared, when it installs, in ``models.retrain``); with ``--adapter`` it also refines the reply
model with the replies the agents accepted or wrote (``models.retrain_adapter``: minutes on a
CPU, installed as a separate local model the agent can switch to). Exit status: 0 installed
(or, with ``--dry-run``, would install) everything asked for, 1 something not installed (a dev
figure dropped, nothing usable in the export, or a model problem), 2 the export cannot be read
(the message names the line).
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from assist import artifacts, datasets
from assist.paths import models_dir

NAME = "assist models retrain"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--feedback", required=True, metavar="FILE", help="JSONL from `assist feedback export`"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="fit and compare, but never install the result"
    )
    p.add_argument(
        "--adapter",
        action="store_true",
        help="also refine the reply model with the agents' replies (minutes on a CPU)",
    )
    p.add_argument(
        "--name",
        help="the local model the refined reply model is installed as "
        "(default smollm2-135m-agents, models.retrain_adapter.DEFAULT_NAME)",
    )
    p.add_argument(
        "--eval-rows",
        type=int,
        default=30,
        metavar="N",
        help="dev rows both reply models draft for the comparison (default %(default)s)",
    )


def _err(message: str) -> None:
    print(f"{NAME}: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    try:
        # the recipes are build-time code, imported at run time only, like `assist models
        # build` does (models.build imports its recipes the same way): the runtime package
        # never depends on them, and mypy's run over assist/ does not type-check them
        rt = importlib.import_module("models.retrain")
    except ImportError as e:
        _err(
            f"error: needs the build tools ({e.name} is missing): run `./dev setup` in a "
            "checkout, or `pip install -e .[build]`"
        )
        return 1
    path = Path(args.feedback)
    try:
        lines = rt.parse_feedback(path)
    except rt.FeedbackError as e:
        _err(f"error: {e}")
        return 2
    try:
        labels = datasets.intent_labels()
        dev = rt.dev_keys()
    except OSError as e:
        _err(f"error: the training data is not readable ({e}); set ASSIST_DATA_DIR")
        return 1
    code = _heads(args, rt, path, lines, labels, dev)
    if args.adapter:
        code = max(code, _adapter(args, lines, dev))
    return code


def _heads(args: argparse.Namespace, rt: Any, path: Path, lines: Any, labels: Any, dev: Any) -> int:
    start = time.perf_counter()
    extraction = rt.extract_examples(lines, rt.library_macros(labels), dev)
    print(f"feedback {path}: {extraction.summary()}")
    if extraction.counts["wrong_intent"]:
        print(
            f"  {extraction.counts['wrong_intent']} 'wrong_intent' rejection(s), "
            f"{extraction.counts['wrong_intent_matched']} traced to a macro's intent"
        )
    if not extraction.examples:
        print("not installed: the export has no usable intent examples")
        return 1

    root = models_dir()
    base = artifacts.locate("heads", root)
    sha = artifacts.sha256_file(path)
    key = rt.artifact_key(sha)
    feedback = {
        "file": str(path.resolve()),
        "sha256": sha,
        "examples_used": len(extraction.examples),
        "counts": dict(extraction.counts),
    }
    staging = Path(tempfile.mkdtemp(prefix=".staging-heads-", dir=root))
    published = False
    try:
        outcome = rt.retrain_into(staging, extraction.examples, base, feedback, log=_err)
        rows = rt.compare(outcome.old_metrics, outcome.new_metrics)
        print(f"installed heads {base.recipe_hash} vs retrained {key}, on the dev splits:")
        print(rt.table(rows))
        worse = rt.dropped(rows)
        if worse:
            print(f"not installed: {'; '.join(worse)} (tolerance {rt.TOLERANCE})")
            return 1
        if args.dry_run:
            print(
                f"dry run: no gated dev figure dropped by more than {rt.TOLERANCE}; would install "
                f"as heads {key}; nothing installed"
            )
            return 0
        if key == base.recipe_hash:
            print(f"heads {key} (this export) are already installed; nothing to do")
            return 0
        card = {**outcome.card, "build_seconds": round(time.perf_counter() - start, 1)}
        artifacts.publish("heads", key, staging, card, root)
        published = True  # the staging folder is now the version in the store
    finally:
        if not published:
            shutil.rmtree(staging, ignore_errors=True)
    pointer = root / "heads" / "current"
    print(f"installed: heads {key} is current (restart the app to use it)")
    print(
        f"previous version kept in {root / 'heads' / base.recipe_hash}; to roll back, write "
        f"{base.recipe_hash} into {pointer}"
    )
    return 0


def _adapter(args: argparse.Namespace, lines: Any, dev: Any) -> int:
    """The reply model's part: train, compare on dev drafts, install as ``--name``."""
    try:
        ra = importlib.import_module("models.retrain_adapter")
    except ImportError as e:
        _err(f"error: refining the reply model needs the build tools ({e.name} is missing)")
        return 1
    name = args.name or ra.DEFAULT_NAME
    replies = ra.reply_examples(lines, dev)
    print(f"replies for the reply model: {replies.summary()}")
    if len(replies.examples) < ra.MIN_REPLIES:
        print(
            f"reply model not retrained: {len(replies.examples)} usable replies, "
            f"at least {ra.MIN_REPLIES} needed"
        )
        return 1
    try:
        verdict, _ = ra.retrain_adapter(
            replies.examples, name, args.eval_rows, args.dry_run, log=_err
        )
    except (artifacts.ModelError, RuntimeError, OSError) as e:
        _err(f"error: the reply model could not be retrained: {e}")
        return 1
    if not verdict.install:
        print(f"reply model not installed: {'; '.join(verdict.reasons)}")
        return 1
    if args.dry_run:
        print(f"dry run: the refined reply model drafts no worse; would install as {name}")
        return 0
    print(
        f"installed: local model {name}; choose it in Settings > Language model "
        f"(or set llm.model = {name!r}); the current model is unchanged"
    )
    return 0
