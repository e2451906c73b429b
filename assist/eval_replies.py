"""`assist eval replies`: how good the reply suggestions are, against Bitext's agent replies.

Why these figures: no single number says whether a draft is good. ROUGE-L rewards the
wording of the reference reply, embedding similarity its meaning, the invented-facts rate
catches numbers/URLs/phones found in no source (``assist.grounding``; before and after the
engine's repair), intent consistency asks whether the reply is about what the customer
asked (nearest train-reply centroid of the shared encoder), and "unfinished" counts replies
that stop mid-sentence (``whole_sentences`` keeps a cut draft whose last full stop comes
before its middle). Every system is scored on the same dev rows with the same sources, so
the generated draft is compared with what the agent would get without a language model: the
best macro, or the reply to the most similar train message of the same intent; and with the
past reply the model's prompt offered, copied as it is ("past_reply"). Texts are
scored as the agent sees them (placeholders filled from the profile); the references keep
Bitext's ``{{Placeholder}}`` slots.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assist import placeholders
from assist.engine import Engine
from assist.events import GenerationChunk, GenerationDone, GenerationFailed, GenerationStarted
from assist.grounding import find_invented
from assist.overlap import rouge_l
from assist.prompt import MAX_MACROS
from assist.reply_data import ReplyExample, reply_split
from assist.types import Message

_FINISHED_RE = re.compile(r"[.!?:)\"'*]\s*$")  # ends a sentence, a quote or a list line


@dataclass(frozen=True)
class Centroids:
    """Per-intent mean of unit embeddings (re-normalised): a nearest-centroid classifier."""

    labels: tuple[str, ...]
    matrix: np.ndarray  # (len(labels), dim), unit rows

    @classmethod
    def fit(cls, embeddings: np.ndarray, labels: Sequence[str]) -> Centroids:
        names = tuple(sorted(set(labels)))
        lab = np.asarray(labels)
        rows = np.stack([embeddings[lab == name].mean(axis=0) for name in names])
        rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        return cls(names, rows.astype(np.float32))

    def classify(self, embeddings: np.ndarray) -> list[str]:
        """The intent whose centroid is nearest (cosine) to each row."""
        norms = np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
        return [self.labels[i] for i in np.argmax((embeddings / norms) @ self.matrix.T, axis=1)]


def pick_examples(rows: Sequence[ReplyExample], n: int) -> list[ReplyExample]:
    """``n`` rows spread over the intents (round robin, evenly spaced within each intent):
    the same rows on every run, so figures of two models are comparable."""
    groups: dict[str, list[ReplyExample]] = {}
    for row in rows:
        groups.setdefault(row.intent, []).append(row)
    per = math.ceil(n / max(1, len(groups)))
    picked = []
    for name in sorted(groups):
        g = groups[name]
        k = min(per, len(g))
        picked.append([g[int((j + 0.5) * len(g) / k)] for j in range(k)])
    out = [p[j] for j in range(per) for p in picked if j < len(p)]
    return out[:n]


@dataclass
class Candidates:
    """One system's reply per example, and for a generated one what its draft cost."""

    shown: list[str]
    raw: list[str] | None = None  # the streamed text before whole-sentence cut and repair
    first_ms: list[float] = field(default_factory=list)
    tok_s: list[float] = field(default_factory=list)
    at_max_tokens: int = 0  # drafts the token limit ended (not the model)
    failed: int = 0


def _drafts(engine: Engine, dev: Sequence[ReplyExample], seed: int, tag: str) -> Candidates:
    out = Candidates([], [])
    assert out.raw is not None
    for i, ex in enumerate(dev):
        cid = f"eval-replies-{tag}-{i}"
        engine.add_message(Message(cid, "customer", ex.message))
        chunks: list[str] = []
        shown: str | None = None
        for event in engine.draft(engine.conversation(cid), seed=seed):
            if isinstance(event, GenerationStarted):
                chunks = []  # a fallback starts over
            elif isinstance(event, GenerationChunk):
                chunks.append(event.text)
            elif isinstance(event, GenerationDone):
                shown = event.suggestion.text
                out.first_ms.append(event.first_token_ms)
                out.tok_s.append(event.tokens_per_s)
                stats = getattr(engine.generator, "last_stats", None)
                limit = engine.sampling().max_tokens
                out.at_max_tokens += bool(stats and stats.generated_tokens >= limit)
            elif isinstance(event, GenerationFailed):
                out.failed += 1
        out.shown.append(shown or "")
        out.raw.append("".join(chunks).strip() if shown is not None else "")
        engine.conversations.pop(cid, None)
    return out


def _baseline_drafts(
    engine: Engine, model_dir: Path, dev: Sequence[ReplyExample], seed: int
) -> Candidates:
    """The same drafts from another model folder (the builder's layout), swapped in for the run."""
    from assist.runtime.generator import Generator  # onnxruntime: only when asked

    baseline = Generator(model_dir, threads=engine.settings["runtime.threads"] or None)
    saved = engine.generator, engine.remote
    engine.generator, engine.remote = baseline, None
    try:
        return _drafts(engine, dev, seed, "baseline")
    finally:
        engine.generator, engine.remote = saved
        baseline.close()


def _score(
    engine: Engine,
    cands: Candidates,
    dev: Sequence[ReplyExample],
    ref_emb: np.ndarray,
    sources: Sequence[list[str]],
    centroids: Centroids,
) -> dict[str, Any]:
    shown = cands.shown
    emb = engine.text_models.encode([t or " " for t in shown])
    sims = [float(e @ r) if t else 0.0 for e, r, t in zip(emb, ref_emb, shown, strict=True)]
    intents = centroids.classify(emb)

    def invented(texts: Sequence[str]) -> float:
        bad = [bool(find_invented(t, s)) for t, s in zip(texts, sources, strict=True)]
        return float(np.mean(bad))

    row: dict[str, Any] = {
        "rouge_l": float(np.mean([rouge_l(t, ex.reply) for t, ex in zip(shown, dev, strict=True)])),
        "similarity": float(np.mean(sims)),
        "invented_shown": invented(shown),
        "invented_raw": invented(cands.raw) if cands.raw is not None else None,
        "intent_consistency": float(
            np.mean([p == ex.intent for p, ex in zip(intents, dev, strict=True)])
        ),
        "words": float(np.mean([len(t.split()) for t in shown])),
        "unfinished": float(np.mean([bool(t) and not _FINISHED_RE.search(t) for t in shown])),
    }
    if cands.raw is not None:
        row["first_token_ms_p50"] = float(np.median(cands.first_ms)) if cands.first_ms else None
        row["tokens_per_s_p50"] = float(np.median(cands.tok_s)) if cands.tok_s else None
        row["at_max_tokens"] = cands.at_max_tokens / max(1, len(shown))
        row["failed"] = cands.failed
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}


def evaluate_replies(
    engine: Engine,
    n: int = 150,
    seed: int = 0,
    baseline_model: Path | None = None,
    train_per_intent: int = 30,
) -> dict[str, Any]:
    """Score every system on the same ``n`` dev rows; ``train_per_intent`` train rows per
    intent give the centroids and the nearest-train replies (encoding all ~2.5k train replies
    takes minutes on 2 cores)."""
    start = time.perf_counter()
    tm = engine.text_models
    dev = pick_examples(reply_split("dev"), n)
    train_rows = reply_split("train")
    intents = {ex.intent for ex in train_rows}
    train = pick_examples(train_rows, train_per_intent * len(intents))
    centroids = Centroids.fit(tm.encode([ex.reply for ex in train]), [ex.intent for ex in train])
    train_msg = tm.encode([ex.message for ex in train])
    dev_msg = tm.encode([ex.message for ex in dev])
    facts = list(engine.profile.facts().values())

    macro, nearest, past, sources = [], [], [], []
    for i, ex in enumerate(dev):
        cid = f"eval-replies-{i}"
        engine.add_message(Message(cid, "customer", ex.message))
        conv = engine.conversation(cid)
        shown = engine.retrieve(conv, max(1, engine.retrieval_count()))[:MAX_MACROS]
        notes = engine.reply_notes(conv, shown)  # what the model's prompt offers to adapt
        past.append(notes[0] if notes else "")  # the macro itself when no past reply fits
        sources.append([ex.message, *notes, *(s.text for s in shown), *facts])
        top = engine.retrieve(conv, 1)
        macro.append(top[0].text if top else "")
        same = [j for j, t in enumerate(train) if t.intent == ex.intent]
        best = train[max(same, key=lambda j: float(train_msg[j] @ dev_msg[i]))] if same else None
        reply = best.reply if best else ""
        nearest.append(placeholders.fill(reply, conv.slots, engine.profile).text)
        engine.conversations.pop(cid, None)

    systems: dict[str, Candidates] = {}
    if engine.drafts_enabled():
        systems["model"] = _drafts(engine, dev, seed, "model")
    if baseline_model is not None:
        systems["baseline_model"] = _baseline_drafts(engine, baseline_model, dev, seed)
    systems["macro"] = Candidates(macro)
    systems["nearest_train"] = Candidates(nearest)
    if engine.memory is not None:  # the past reply the model adapts, copied as it is
        systems["past_reply"] = Candidates(past)

    ref_emb = tm.encode([ex.reply for ex in dev])
    scores = {
        name: _score(engine, c, dev, ref_emb, sources, centroids) for name, c in systems.items()
    }
    return {
        "n": len(dev),
        "seed": seed,
        "train_per_intent": train_per_intent,
        "drafts_by": engine.describe_drafts(),
        "systems": scores,
        "wall_s": round(time.perf_counter() - start, 1),
        "examples": [
            {"message": ex.message, "reference": ex.reply, "intent": ex.intent}
            | {name: c.shown[i] for name, c in systems.items()}
            for i, ex in enumerate(dev)
        ],
    }


_COLUMNS = (
    ("ROUGE-L", "rouge_l"),
    ("similarity", "similarity"),
    ("invented (shown)", "invented_shown"),
    ("invented (raw)", "invented_raw"),
    ("intent-consistency", "intent_consistency"),
    ("words", "words"),
    ("unfinished", "unfinished"),
    ("1st token ms", "first_token_ms_p50"),
    ("tok/s", "tokens_per_s_p50"),
)
_ONE_DECIMAL = {"words", "first_token_ms_p50", "tokens_per_s_p50"}


def format_table(report: dict[str, Any]) -> str:
    """An aligned text table: a row per system, "-" where a figure does not apply."""

    def cell(value: Any, key: str) -> str:
        if value is None:
            return "-"
        return f"{value:.1f}" if key in _ONE_DECIMAL else f"{value:.3f}"

    header = ["system", *(title for title, _ in _COLUMNS)]
    rows = [
        [name, *(cell(row.get(key), key) for _, key in _COLUMNS)]
        for name, row in report["systems"].items()
    ]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    lines = [
        "  ".join([r[0].ljust(widths[0]), *(r[c].rjust(widths[c]) for c in range(1, len(r)))])
        for r in [header, *rows]
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append(
        f"n={report['n']} dev rows, seed {report['seed']}, drafts by {report['drafts_by']}"
    )
    return "\n".join(lines)
