"""Refit the intent head from the built-in data plus the agents' feedback (`assist models retrain`).

Input: the JSONL written by ``assist feedback export`` (see ``assist.cli.feedback_cmd``). Each
export holds the whole history, so a retrain always starts from the built-in data plus *one*
export, never from a previous retrain.

Which lines become training examples (``extract_examples``), in order:

1. **Accepted or edited macro suggestions** label their customer message with the *macro's*
   intent, not the detected one: the agent chose the reply, so the macro's intent is the
   agent's verdict. The intent comes from the library item the ``macro_id`` names (the bundled
   ``bitext:<intent>`` and ``bitext:<intent>/<n>`` macros, and the user's own library folder);
   an item must be a macro with exactly one of the head's intents. KB articles (``kb:...``,
   several intents or none) and unknown ids are skipped.
2. **Generated and remote drafts are skipped**: the export carries only the intent the model
   itself detected for them, so learning from them would only reinforce the model's own guess
   (and an edited draft says nothing about which intent was right).
3. Lines without a customer message, and messages that are not English
   (``assist.language.detect``: the heads are English-only), are skipped.
4. Duplicates (same message after case and whitespace folding, same intent) count once; a
   message labelled with two different intents is dropped altogether (``conflicting``).
5. **Rejections with reason "wrong_intent"** are counted. The export gives a rejection no intent
   or macro id, so the intent shown is recovered where the rejected text is one of the
   library's single-intent macros (placeholders may have been filled in); a positive example
   of that message with that same intent is then dropped (``contradicted``). They never add
   examples of their own: "not X" does not say which intent is right.
6. Messages that are, or are near-twins of (same ``datasets.phrasing_key``), a dev row are
   dropped (``in_dev``): the dev split must stay unseen for the comparison to mean anything.

The refit (``retrain_into``) is the heads recipe's final intent fit (``models.heads``: logistic
regression on train + calib) with the feedback examples added to train. The confidence
threshold is *kept* from the installed heads, not re-chosen on calib: the recipe's calib
objective is flat, and re-choosing it after adding as few as 18 messages (or 30 copies of
training rows) jumped it from 0.38 to 0.68, turning 2-3 % of the dev phrasings into "other";
the gate refused every such retrain. With no feedback the refit reproduces the installed
heads' dev figures exactly. The sentiment head is copied from the installed heads as it is
(refitting it from the same data would take minutes and give the same model).

Both the installed and the new heads are then scored on the same dev split with the same report
functions as the model card, and the new ones are installed only if no gated figure
(``GATED``) is lower by more than ``TOLERANCE`` (0.002: one dev row of the intent splits,
1/808 in-scope or 1/520 out-of-scope, is noise -- the dev accuracy's standard error is ~0.004
-- and 30 copies of training rows flipped one). The installed version gets its own key
(``<recipe hash>-fb<sha256 of the export, 12 hex>``) via ``assist.artifacts.publish``; the
previous version stays on disk for a roll-back.
"""

from __future__ import annotations

import json
import platform
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from assist import datasets
from assist.datasets import OTHER, Example
from models import heads as heads_recipe
from models.common import package_version

ACTIONS = ("accepted", "edited", "rejected")
DRAFT_SOURCES = ("generated", "remote")
TOLERANCE = 0.002  # one intent dev row; see the module docstring
# (card section, figure, higher is better, gated): the gated ones decide the install
FIGURES: tuple[tuple[str, str, bool, bool], ...] = (
    ("intent_dev", "accuracy", True, True),
    ("intent_dev", "oos_to_other_rate", True, True),
    ("sentiment_dev", "macro_recall", True, True),
    ("intent_dev", "accuracy_when_answered", True, False),
    ("intent_dev", "false_other_rate", False, False),
    ("sentiment_dev", "accuracy", True, False),
)
GATED = tuple(f"{s}.{k}" for s, k, _, gated in FIGURES if gated)
_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")


class FeedbackError(ValueError):
    """The export cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class FeedbackLine:
    number: int  # 1-based line number in the file
    action: str
    message: str | None
    suggestion: str | None = None
    source: str | None = None
    macro_id: str | None = None
    intent: str | None = None
    reason: str | None = None
    target: str | None = None  # what the agent sent (accepted/edited): the reply to learn


def _optional_str(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise FeedbackError(f"{where}: {key!r} must be a string or null, not {value!r}")
    return value


def parse_feedback(path: Path) -> list[FeedbackLine]:
    """The lines of an ``assist feedback export`` file; blank lines are ignored."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise FeedbackError(f"{path}: cannot read ({e.strerror or e})") from None
    out = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        where = f"{path}:{number}"
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as e:
            raise FeedbackError(f"{where}: not valid UTF-8 (byte offset {e.start})") from None
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise FeedbackError(f"{where}: not JSON ({e.msg} at column {e.colno})") from None
        if not isinstance(obj, dict):
            raise FeedbackError(f"{where}: expected a JSON object, got {type(obj).__name__}")
        action = obj.get("action")
        if action not in ACTIONS:
            raise FeedbackError(
                f"{where}: 'action' must be one of {', '.join(ACTIONS)}, not {action!r}"
            )
        out.append(
            FeedbackLine(
                number=number,
                action=action,
                message=_optional_str(obj, "message", where),
                suggestion=_optional_str(obj, "suggestion", where),
                source=_optional_str(obj, "source", where),
                macro_id=_optional_str(obj, "macro_id", where),
                intent=_optional_str(obj, "intent", where),
                reason=_optional_str(obj, "reason", where),
                target=_optional_str(obj, "target", where),
            )
        )
    return out


@dataclass(frozen=True)
class MacroIndex:
    """Library macros with exactly one of the head's intents: by id, and by text pattern."""

    intents: Mapping[str, str]
    patterns: tuple[tuple[re.Pattern[str], str], ...] = ()

    def intent_of(self, macro_id: str | None) -> str | None:
        return self.intents.get(macro_id) if macro_id else None

    def intent_of_text(self, text: str | None) -> str | None:
        """The intent of the macro this text is (its placeholders possibly filled in)."""
        if not text:
            return None
        norm = fold(text)
        found = {intent for pattern, intent in self.patterns if pattern.fullmatch(norm)}
        return found.pop() if len(found) == 1 else None


def _pattern(text: str) -> re.Pattern[str]:
    pieces = [re.escape(p) for p in _PLACEHOLDER.split(fold(text))]
    return re.compile(".+?".join(pieces), re.S)


def macro_index(items: Iterable[Any], labels: Sequence[str]) -> MacroIndex:
    """From ``LibraryItem``s: macros (not articles) whose only intent is one of ``labels``."""
    known = set(labels) - {OTHER}
    intents: dict[str, str] = {}
    patterns = []
    for item in items:
        if item.kind != "macro" or len(item.intents) != 1 or item.intents[0] not in known:
            continue
        intents[item.item_id] = item.intents[0]
        patterns.append((_pattern(item.text), item.intents[0]))
    return MacroIndex(intents, tuple(patterns))


def library_macros(labels: Sequence[str], profile_dir: Path | None = None) -> MacroIndex:
    """The bundled macros plus those in the user's library folder (``<profile>/library``)."""
    from assist import paths
    from assist.retrieval.sources import bundled_items
    from assist.retrieval.user_folder import UserFolder

    items = bundled_items()
    folder = UserFolder((profile_dir or paths.profile_dir()) / "library")
    folder.scan()
    by_id = {i.item_id: i for i in items}
    by_id.update({i.item_id: i for i in folder.items})  # a user item may override a bundled id
    return macro_index(by_id.values(), labels)


def fold(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass
class Extraction:
    examples: list[Example]
    counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        order = (
            "lines",
            "used",
            "duplicate",
            "conflicting",
            "contradicted",
            "in_dev",
            "draft",
            "kb_or_unknown_macro",
            "not_english",
            "no_message",
            "rejected",
            "wrong_intent",
            "wrong_intent_matched",
        )
        return ", ".join(f"{k} {self.counts[k]}" for k in order if self.counts[k] or k == "used")


def is_english(text: str) -> bool:
    from assist import language

    return language.detect(text).code == "en"


def dev_keys(root: Path | None = None) -> tuple[set[str], set[str]]:
    """Folded texts of the intent dev split (in-scope and OOS), and the in-scope phrasing keys."""
    dev_in, dev_oos = datasets.intent_split("dev", root), datasets.oos_split("dev", root)
    texts = {fold(e.text) for e in dev_in + dev_oos}
    keys = {k for k in (datasets.phrasing_key(e.text) for e in dev_in) if k}
    return texts, keys


def extract_examples(
    lines: Sequence[FeedbackLine],
    macros: MacroIndex,
    dev: tuple[set[str], set[str]] = (set(), set()),
    is_english: Callable[[str], bool] = is_english,
) -> Extraction:
    """The extra intent examples of an export, with a count of every reason a line was skipped."""
    counts: Counter[str] = Counter(lines=len(lines))
    labelled: dict[str, dict[str, str]] = {}  # folded message -> intent -> first text seen
    wrong: set[tuple[str, str]] = set()  # (folded message, intent shown) the agent rejected
    dev_texts, dev_phrasings = dev
    for line in lines:
        if line.action == "rejected":
            counts["rejected"] += 1
            if line.reason == "wrong_intent":
                counts["wrong_intent"] += 1
                shown = macros.intent_of(line.macro_id) or macros.intent_of_text(line.suggestion)
                if shown and line.message:
                    counts["wrong_intent_matched"] += 1
                    wrong.add((fold(line.message), shown))
            continue
        if line.source in DRAFT_SOURCES:
            counts["draft"] += 1
            continue
        intent = macros.intent_of(line.macro_id)
        if intent is None:
            counts["kb_or_unknown_macro"] += 1
            continue
        if not line.message or not line.message.strip():
            counts["no_message"] += 1
            continue
        if not is_english(line.message):
            counts["not_english"] += 1
            continue
        key = fold(line.message)
        if key in dev_texts or datasets.phrasing_key(line.message) in dev_phrasings:
            counts["in_dev"] += 1
            continue
        seen = labelled.setdefault(key, {})
        if intent in seen:
            counts["duplicate"] += 1
            continue
        seen[intent] = line.message.strip()
    examples = []
    for key, by_intent in labelled.items():
        kept = {i: t for i, t in by_intent.items() if (key, i) not in wrong}
        counts["contradicted"] += len(by_intent) - len(kept)
        if len(kept) > 1:
            counts["conflicting"] += len(kept)
            continue
        examples += [Example(t, i) for i, t in kept.items()]
    counts["used"] = len(examples)
    return Extraction(examples, counts)


def artifact_key(feedback_sha256: str) -> str:
    """The store key of heads retrained with this export under the current recipe."""
    return f"{heads_recipe.recipe_hash()}-fb{feedback_sha256[:12]}"


@dataclass(frozen=True)
class Row:
    figure: str
    old: float
    new: float
    higher_is_better: bool
    gated: bool

    @property
    def worse(self) -> bool:
        delta = self.new - self.old if self.higher_is_better else self.old - self.new
        return delta < -TOLERANCE


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Row]:
    """The dev figures of the installed (``old``) and retrained (``new``) heads, side by side."""
    return [
        Row(f"{s}.{k}", float(old[s][k]), float(new[s][k]), higher, gated)
        for s, k, higher, gated in FIGURES
    ]


def dropped(rows: Sequence[Row]) -> list[str]:
    """The gated figures that got worse, as "name old -> new"."""
    return [f"{r.figure} {r.old:.4f} -> {r.new:.4f}" for r in rows if r.gated and r.worse]


def table(rows: Sequence[Row]) -> str:
    lines = [f"{'dev figure':52} {'installed':>9} {'retrained':>9} {'change':>8}"]
    for r in rows:
        mark = "  WORSE" if r.worse else ""
        note = "" if r.gated else " (info)"
        name = r.figure + ("" if r.higher_is_better else " (lower is better)") + note
        lines.append(f"{name:52} {r.old:9.4f} {r.new:9.4f} {r.new - r.old:+8.4f}{mark}")
    return "\n".join(lines)


@dataclass
class Outcome:
    card: dict[str, Any]
    old_metrics: dict[str, Any]
    new_metrics: dict[str, Any]


def retrain_into(
    staging: Path,
    extra: Sequence[Example],
    base: Any,
    feedback: dict[str, Any],
    log: Callable[[str], None] = print,
) -> Outcome:
    """Fit the retrained heads into ``staging``; score them and the ``base`` artifact on dev."""
    from assist.artifacts import ModelError, locate
    from assist.evaluate import intent_report, sentiment_report
    from assist.runtime.encoder import SentenceEncoder
    from assist.runtime.heads import META_FILE, WEIGHTS_FILE, Heads

    start = time.perf_counter()
    enc_art = locate("encoder")
    if base.card.get("encoder_recipe_hash") != enc_art.recipe_hash:
        raise ModelError(
            f"heads {base.recipe_hash} were trained on another encoder than the installed "
            f"{enc_art.recipe_hash}; run `assist models build heads` first"
        )
    old = Heads.load(base.path)
    labels = datasets.intent_labels()
    if list(old.intent_labels) != labels:
        raise ModelError(
            f"heads {base.recipe_hash}: their intents differ from the data's; "
            "run `assist models build --force heads` first"
        )
    encoder = SentenceEncoder(enc_art.path, threads=2)

    # the same parts as models.heads.build_into, plus the feedback examples in train
    parts = {
        "train": datasets.intent_split("train")
        + datasets.oos_split("train", per_intent=heads_recipe.OOS_PER_CLINC_INTENT)
        + datasets.shop_paraphrases()
        + list(extra),
        "calib": datasets.intent_split("calib") + datasets.oos_split("calib"),
        "dev_in": datasets.intent_split("dev"),
        "dev_oos": datasets.oos_split("dev"),
        "sent_dev": datasets.sentiment_split("dev"),
    }
    log(f"retrain: encoding {sum(len(v) for v in parts.values())} texts ...")
    emb = {k: encoder.encode([e.text for e in v]) for k, v in parts.items()}
    gold = {k: [e.label for e in v] for k, v in parts.items()}
    t_embed = time.perf_counter()

    log(f"retrain: fitting the intent head ({len(parts['train'])} + calib examples) ...")
    threshold = old.intent_threshold  # see the module docstring: not re-chosen
    w, b = heads_recipe._fit_intent(
        np.vstack([emb["train"], emb["calib"]]), gold["train"] + gold["calib"], labels
    )
    t_fit = time.perf_counter()

    weights = {**old.weights, "intent_w": w, "intent_b": b}  # sentiment arrays as installed
    np.savez(staging / WEIGHTS_FILE, **cast(dict[str, Any], weights))
    meta = {**old.meta, "intent_threshold": threshold}
    (staging / META_FILE).write_text(json.dumps(meta, indent=2))
    new = Heads.load(staging)  # score what was written, through the runtime code

    sent_texts = [e.text for e in parts["sent_dev"]]

    def score(h: Heads) -> dict[str, Any]:
        return {
            "intent_dev": intent_report(
                gold["dev_in"],
                [r.label for r in h.intents(emb["dev_in"])],
                [r.label for r in h.intents(emb["dev_oos"])],
            ),
            "sentiment_dev": sentiment_report(
                gold["sent_dev"], [r.label for r in h.sentiments(emb["sent_dev"], sent_texts)]
            ),
        }

    old_metrics, new_metrics = score(old), score(new)
    base_card = base.card
    card = {
        "encoder_recipe_hash": enc_art.recipe_hash,
        "retrained_from": base.recipe_hash,
        "heads": {
            "intent": f"as recipe {heads_recipe.recipe_hash()} (logistic regression, "
            f"C={heads_recipe.INTENT_C}, balanced; threshold {threshold:.2f} kept from the "
            f"installed heads) with "
            f"{len(extra)} examples from the agents' feedback added to train",
            "sentiment": f"copied unchanged from heads {base.recipe_hash}",
        },
        "feedback": feedback,
        "data": {
            **base_card.get("data", {}),
            "feedback": f"agents' feedback export, sha256 {feedback['sha256']}",
        },
        "train_sizes": {
            "intent": len(parts["train"]) + len(parts["calib"]),
            "intent_from_feedback": len(extra),
            "sentiment": base_card.get("train_sizes", {}).get("sentiment"),
        },
        "metrics": {
            **new_metrics,
            "feedback_sha256": feedback["sha256"],
            "feedback_examples": len(extra),
        },
        "metrics_of_previous": old_metrics,
        "packages": {p: package_version(p) for p in ("scikit-learn", "onnxruntime")},
        "timings_s": {
            "embed": round(t_embed - start, 1),
            "fit_intent": round(t_fit - t_embed, 1),
            "total": round(time.perf_counter() - start, 1),
        },
        "hardware": f"{platform.machine()}, {platform.processor() or 'cpu'}",
    }
    return Outcome(card, old_metrics, new_metrics)
