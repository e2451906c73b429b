"""Scores of the text models on the held-out dev splits of ``assist.datasets``.

Plain numpy so ``assist eval`` runs on an installed app. The heads recipe calls the same
report functions on the same splits, so the figures in a model card and in ``assist eval`` are
computed one way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assist import datasets
from assist.datasets import OTHER, SENTIMENT_LABELS

if TYPE_CHECKING:
    from assist.runtime.text_models import TextModels


def _r(x: float | np.floating) -> float:
    return round(float(x), 4)


def classification_report(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro recall / precision / F1 over ``labels`` and per-class recall."""
    g, p = np.asarray(gold), np.asarray(pred)
    recall, precision, f1 = {}, {}, {}
    for lab in labels:
        tp = float(np.sum((g == lab) & (p == lab)))
        n_gold, n_pred = float(np.sum(g == lab)), float(np.sum(p == lab))
        recall[lab] = tp / n_gold if n_gold else 0.0
        precision[lab] = tp / n_pred if n_pred else 0.0
        denom = recall[lab] + precision[lab]
        f1[lab] = 2 * recall[lab] * precision[lab] / denom if denom else 0.0
    return {
        "n": len(g),
        "accuracy": _r(np.mean(g == p)) if len(g) else 0.0,
        "macro_recall": _r(np.mean(list(recall.values()))),
        "macro_precision": _r(np.mean(list(precision.values()))),
        "macro_f1": _r(np.mean(list(f1.values()))),
        "recall": {k: _r(v) for k, v in recall.items()},
    }


def intent_report(
    in_scope_gold: Sequence[str], in_scope_pred: Sequence[str], oos_pred: Sequence[str]
) -> dict[str, Any]:
    """Intent accuracy on unseen phrasings, false-``other`` rate, and OOS -> ``other`` rate."""
    g, p, o = np.asarray(in_scope_gold), np.asarray(in_scope_pred), np.asarray(oos_pred)
    in_scope = p != OTHER
    return {
        "n_in_scope": len(g),
        "n_oos": len(o),
        "accuracy": _r(np.mean(g == p)),  # "other" on an in-scope row counts as wrong
        "accuracy_when_answered": _r(np.mean(g[in_scope] == p[in_scope]))
        if in_scope.any()
        else 0.0,
        "false_other_rate": _r(np.mean(~in_scope)),
        "oos_to_other_rate": _r(np.mean(o == OTHER)) if len(o) else 0.0,
    }


def sentiment_report(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    return classification_report(gold, pred, SENTIMENT_LABELS)


def evaluate_text_models(models: TextModels, data: Path | None = None) -> dict[str, Any]:
    """Run the real models over the dev splits; figures as in the heads' model card."""
    intent_dev = datasets.intent_split("dev", data)
    oos_dev = datasets.oos_split("dev", data)
    sent_dev = datasets.sentiment_split("dev", data)
    in_pred = [a.intent.label for a in models.analyze([e.text for e in intent_dev])]
    oos_pred = [a.intent.label for a in models.analyze([e.text for e in oos_dev])]
    sent_pred = [a.sentiment.label for a in models.analyze([e.text for e in sent_dev])]
    return {
        "intent": intent_report([e.label for e in intent_dev], in_pred, oos_pred),
        "sentiment": sentiment_report([e.label for e in sent_dev], sent_pred),
        "splits": {
            "intent": "bitext rows whose content-word group is held out (unseen phrasings)",
            "oos": "CLINC150 oos_val + val rows of non-shop CLINC intents unseen in training",
            "sentiment": "15% of TweetEval sentiment (its test split), by hash of the text",
        },
    }
