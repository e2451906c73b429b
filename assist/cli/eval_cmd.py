"""`assist eval`: the quality figures on the dev splits, from the installed models.

Three sections: the text models (intent on unseen phrasings, out-of-scope -> other, sentiment
macro-recall), entity extraction against Bitext's span annotations, and grounding: generated
drafts checked for numbers, URLs, emails or phones found in no source (raw and after repair).
``assist eval replies`` scores the reply suggestions themselves (``assist.eval_replies``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from assist.datasets import intent_split
from assist.engine import Engine
from assist.entities import evaluate_entities
from assist.evaluate import evaluate_text_models
from assist.events import GenerationChunk, GenerationDone, SuggestionsReady
from assist.grounding import find_invented
from assist.paths import data_dir
from assist.types import Message


def evaluate_grounding(engine: Engine, samples: int) -> dict[str, Any]:
    """Generate drafts for dev messages that carry an entity; count invented facts."""
    rows = [ex for ex in intent_split("dev") if any(ch.isdigit() for ch in ex.text)]
    rows += [ex for ex in intent_split("dev") if not any(ch.isdigit() for ch in ex.text)]
    raw_bad = final_bad = done = 0
    examples: list[dict[str, Any]] = []
    for i, ex in enumerate(rows[:samples]):
        cid = f"eval-{i}"
        engine.add_message(Message(cid, "customer", ex.text))
        conv = engine.conversation(cid)
        chunks: list[str] = []
        macros: list[str] = []
        for event in engine.suggest(conv, 3):
            if isinstance(event, SuggestionsReady):
                macros = [s.text for s in event.suggestions]
            elif isinstance(event, GenerationChunk):
                chunks.append(event.text)
            elif isinstance(event, GenerationDone):
                done += 1
                sources = [ex.text, *macros, *engine.profile.facts().values()]
                raw = find_invented("".join(chunks), sources)
                final = find_invented(event.suggestion.text, sources)
                raw_bad += bool(raw)
                final_bad += bool(final)
                if final and len(examples) < 5:
                    examples.append({"message": ex.text, "invented": final})
    return {
        "drafts": done,
        "raw_invented_rate": round(raw_bad / done, 4) if done else None,
        "invented_rate": round(final_bad / done, 4) if done else None,
        "examples": examples,
    }


def run(args: argparse.Namespace) -> int:
    if getattr(args, "eval_what", None) == "replies":
        return run_replies(args)
    engine = Engine.load(generate=args.grounding_samples > 0)
    report: dict[str, Any] = {"text_models": evaluate_text_models(engine.text_models)}
    with open(data_dir() / "bitext" / "pairs.csv", encoding="utf-8", newline="") as f:
        ent = evaluate_entities(csv.DictReader(f))
    report["entities"] = {k: v for k, v in ent.items() if k != "errors"}
    if engine.generator is not None:
        report["grounding"] = evaluate_grounding(engine, args.grounding_samples)
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_report(report)
    return 0


def print_report(report: dict[str, Any], prefix: str = "") -> None:
    for key, value in report.items():
        if isinstance(value, dict):
            print(f"{prefix}{key}:")
            print_report(value, prefix + "  ")
        elif isinstance(value, list):
            print(f"{prefix}{key}: {json.dumps(value)[:300]}")
        else:
            print(f"{prefix}{key}: {value}")


def run_replies(args: argparse.Namespace) -> int:
    """`assist eval replies`: the table on stdout, the whole report in ``--json FILE``."""
    from assist.eval_replies import evaluate_replies, format_table

    if args.n < 1 or args.train_per_intent < 1:
        print(
            "assist eval replies: error: --n and --train-per-intent must be >= 1", file=sys.stderr
        )
        return 2
    baseline = Path(args.baseline_model) if args.baseline_model else None
    if baseline is not None and not (baseline / "genai_config.json").is_file():
        print(
            f"assist eval replies: error: {baseline} is no onnxruntime-genai model folder "
            "(no genai_config.json)",
            file=sys.stderr,
        )
        return 2
    engine = Engine.load()
    if engine.generator_error:
        print(f"assist eval replies: no drafts: {engine.generator_error}", file=sys.stderr)
    report = evaluate_replies(engine, args.n, args.seed, baseline, args.train_per_intent)
    print(format_table(report))
    if args.json_file:
        with open(args.json_file, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    return 0
