"""The intent and sentiment heads: small numpy forward passes over the shared embedding.

The heads are trained at build time (``models/heads.py``, scikit-learn / torch) and shipped as
plain arrays in ``heads.npz`` plus ``heads.json`` (labels, threshold), so the running app needs
neither library. Sentiment also reads four VADER lexicon scores: the lexicon knows words
("awful", "love", "!!!") that a frozen sentence embedding blurs, and it is blended with a linear
model over hashed character n-grams (``assist.runtime.char_ngrams``), which catches the slang,
elongations and hashtags the other two miss.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from assist.artifacts import ModelError
from assist.runtime.char_ngrams import linear_logits
from assist.types import IntentResult, SentimentLabel, SentimentResult

WEIGHTS_FILE = "heads.npz"
META_FILE = "heads.json"
OTHER = "other"
VADER_CHARS = 2000  # VADER is linear in the text; the encoder only sees ~128 tokens anyway
_REBUILD = "rebuild it with `assist models build --force heads`"

_vader: SentimentIntensityAnalyzer | None = None


def vader_features(texts: Sequence[str]) -> np.ndarray:
    """(n, 4) float32: VADER's neg, neu, pos and compound scores of each text."""
    global _vader
    if _vader is None:
        _vader = SentimentIntensityAnalyzer()
    rows = []
    for text in texts:
        s = _vader.polarity_scores(text[:VADER_CHARS])
        rows.append((s["neg"], s["neu"], s["pos"], s["compound"]))
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), 4)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return cast(np.ndarray, e / e.sum(axis=-1, keepdims=True))


def mlp_probs(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    """Mean class probabilities of an ensemble of one-hidden-layer ReLU MLPs.

    Weights: ``mu``/``sd`` (feature standardisation), ``w1`` (k, d, h), ``b1`` (k, h),
    ``w2`` (k, h, c), ``b2`` (k, c). The same arithmetic as the torch modules at build time.
    """
    z = (x - w["mu"]) / w["sd"]
    hidden = np.maximum(np.matmul(z[None], w["w1"]) + w["b1"][:, None, :], 0.0)  # (k, n, h)
    logits = np.matmul(hidden, w["w2"]) + w["b2"][:, None, :]
    return cast(np.ndarray, softmax(logits).mean(axis=0))


def sentiment_mlp_weights(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The ``sent_*`` arrays of ``heads.npz`` under the names ``mlp_probs`` reads."""
    return {k[len("sent_") :]: v for k, v in weights.items() if k.startswith("sent_")}


def char_probs(texts: Sequence[str], weights: dict[str, np.ndarray]) -> np.ndarray:
    """Class probabilities of the character n-gram model (``char_idf``, ``char_w``, ``char_b``)."""
    return softmax(linear_logits(texts, weights["char_idf"], weights["char_w"], weights["char_b"]))


def blend_probs(first: np.ndarray, second: np.ndarray, weight: float) -> np.ndarray:
    """Geometric blend: ``weight`` is the share of ``second``'s log-probabilities."""
    return softmax((1 - weight) * np.log(first + 1e-9) + weight * np.log(second + 1e-9))


@dataclass(frozen=True)
class Heads:
    intent_labels: tuple[str, ...]
    intent_threshold: float
    sentiment_labels: tuple[SentimentLabel, ...]
    weights: dict[str, np.ndarray]
    meta: dict[str, Any]

    @classmethod
    def load(cls, folder: Path) -> Heads:
        npz, meta_path = folder / WEIGHTS_FILE, folder / META_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ModelError(f"{meta_path}: unreadable ({e}); {_REBUILD}") from None
        try:
            with np.load(npz) as data:
                weights = {k: data[k].astype(np.float32) for k in data.files}
        except Exception as e:  # zipfile / pickle / OS errors all mean the same to the user
            raise ModelError(f"{npz}: unreadable or corrupt ({e}); {_REBUILD}") from None
        heads = cls(
            tuple(meta["intent_labels"]),
            float(meta["intent_threshold"]),
            tuple(meta["sentiment_labels"]),
            weights,
            meta,
        )
        if weights["intent_w"].shape[1] != len(heads.intent_labels):
            raise ModelError(f"{npz}: intent weights do not match {meta_path}; {_REBUILD}")
        return heads

    def intent_probs(self, emb: np.ndarray) -> np.ndarray:
        return softmax(emb @ self.weights["intent_w"] + self.weights["intent_b"])

    def intents(self, emb: np.ndarray) -> list[IntentResult]:
        """Top-3 intents; ``other`` when it wins (out_of_scope) or the winner is unsure."""
        out = []
        for p in self.intent_probs(emb):
            order = np.argsort(-p)[:3]
            top = tuple((self.intent_labels[i], float(p[i])) for i in order)
            label, conf = top[0]
            if label == OTHER:
                out.append(IntentResult(OTHER, conf, top, reason="out_of_scope"))
            elif conf < self.intent_threshold:
                out.append(IntentResult(OTHER, conf, top, reason="low_confidence"))
            else:
                out.append(IntentResult(label, conf, top))
        return out

    def sentiment_probs(self, emb: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Geometric blend of the MLP and the character n-gram model (weight in json)."""
        return blend_probs(
            mlp_probs(np.hstack([emb, vader_features(texts)]), sentiment_mlp_weights(self.weights)),
            char_probs(texts, self.weights),
            float(self.meta["sentiment_char_weight"]),
        )

    def sentiments(self, emb: np.ndarray, texts: Sequence[str]) -> list[SentimentResult]:
        """Label = most probable class; score = P(positive) - P(negative) in [-1, 1]."""
        neg = self.sentiment_labels.index("negative")
        pos = self.sentiment_labels.index("positive")
        return [
            SentimentResult(self.sentiment_labels[int(p.argmax())], float(p[pos] - p[neg]))
            for p in self.sentiment_probs(emb, texts)
        ]
