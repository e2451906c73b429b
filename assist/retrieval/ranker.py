"""Ranking library items for one customer message: similarity + intent, then diversity.

Score of an item = ``query`` x the best relevance of its keys (cosine to the current message plus,
with less weight, to the recency-weighted earlier turns) + ``intent`` x the predicted probability
of the item's intent.
The top candidates are then picked greedily with a penalty for resembling what is already picked
(maximal marginal relevance), so the agent never sees three copies of the same reply.
Everything per item is vectorised: a few milliseconds for thousands of articles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assist.retrieval.index import LibraryIndex
from assist.retrieval.items import LibraryItem, placeholders, plain
from assist.types import Citation, IntentResult, Suggestion


@dataclass(frozen=True)
class Weights:
    query: float = 1.0
    recent: float = 0.7  # weight of the earlier turns relative to the current message
    intent: float = 0.3
    recent_decay: float = 0.5  # weight of each earlier turn relative to the one after it
    diversity: float = 0.25  # MMR penalty per unit of similarity to an already picked item
    duplicate: float = 0.92  # above this similarity to a picked item, a candidate is dropped
    candidates: int = 40  # how many top-scored items diversity picks from
    second_sentence: float = 0.08  # a neighbouring sentence this close to the best joins the reply
    sentence_tie: float = 0.02  # sentences this close to the best count as tied: the first wins
    min_score: float = 0.25  # below this an item is noise, not a suggestion


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def recent_vector(recent: np.ndarray | None, decay: float) -> np.ndarray | None:
    """One vector for the earlier turns (oldest first), the latest weighing most."""
    if recent is None:
        return None
    rows = np.asarray(recent, dtype=np.float32).reshape(-1, np.asarray(recent).shape[-1])
    if not len(rows):
        return None
    weights = decay ** np.arange(len(rows) - 1, -1, -1, dtype=np.float32)
    return _unit(weights @ rows)


def intent_probabilities(intent: IntentResult) -> dict[str, float]:
    probs = {label: float(p) for label, p in intent.top}
    if intent.label != "other":
        probs[intent.label] = max(probs.get(intent.label, 0.0), float(intent.confidence))
    probs.pop("other", None)
    return probs


def score_items(
    index: LibraryIndex,
    query: np.ndarray,
    recent: np.ndarray | None,
    intent: IntentResult,
    w: Weights,
) -> tuple[np.ndarray, np.ndarray]:
    """(score per item, relevance of every key).

    A key's relevance is its cosine to the message plus ``w.recent`` x its cosine to the earlier
    turns, i.e. its cosine to the context-expanded query ``q + w.recent * r`` (normalised so it
    stays on the cosine scale). Taking it per key, not per item, credits the sentence that fits
    both the message and the conversation: "how long does that take?" after a refund question.
    """
    q = _unit(np.asarray(query, dtype=np.float32).reshape(-1))
    r = recent_vector(recent, w.recent_decay)
    probe = q if r is None else _unit(q + w.recent * r)
    # einsum, not BLAS: a matrix-vector product is memory-bound, and BLAS's thread pool costs
    # more than it saves (10x worse p50 on a busy 2-core laptop), so one thread it is
    key_sims = np.einsum("kd,d->k", index.key_vectors, probe.astype(np.float32))
    scores = w.query * np.maximum.reduceat(key_sims, index.starts)
    boost = np.zeros(len(index.items), dtype=np.float32)
    for label, p in intent_probabilities(intent).items():
        members = index.by_intent.get(label)
        if members is not None:
            boost[members] = np.maximum(boost[members], p)
    return scores + w.intent * boost, key_sims


def diverse_top(index: LibraryIndex, scores: np.ndarray, n: int, w: Weights) -> list[int]:
    """Greedy MMR over the best ``w.candidates`` items."""
    count = min(w.candidates, len(scores))
    pool = np.argpartition(-scores, count - 1)[:count]
    pool = pool[np.argsort(-scores[pool], kind="stable")]
    picked: list[int] = []
    penalty = np.zeros(len(pool), dtype=np.float32)
    alive = scores[pool] >= w.min_score
    while len(picked) < n and alive.any():
        value = np.where(alive, scores[pool] - w.diversity * penalty, -np.inf)
        choice = int(np.argmax(value))
        picked.append(int(pool[choice]))
        alive[choice] = False
        sims = index.primary[pool] @ index.primary[pool[choice]]
        alive &= sims < w.duplicate
        penalty = np.maximum(penalty, sims)
    return picked


def article_suggestion(
    index: LibraryIndex, item_no: int, sims: np.ndarray, score: float, w: Weights
) -> Suggestion:
    """A short reply built around the sentence that answers best, citing it."""
    item = index.items[item_no]
    lo, hi = index.key_range(item_no)
    rows = np.flatnonzero(index.is_sentence[lo:hi]) + lo
    if not len(rows):
        return macro_suggestion(item, score)
    # Cosine differences of a hundredth are noise for MiniLM (the int8 encoder moves vectors by
    # that much); among near-ties the earlier sentence wins, as articles state the key fact first.
    best = int(rows[np.flatnonzero(sims[rows] >= sims[rows].max() - w.sentence_tie)[0]])
    chosen = [best]
    for neighbour in (best - 1, best + 1):
        if neighbour in rows and sims[neighbour] >= sims[best] - w.second_sentence:
            chosen.append(neighbour)
            break
    keys = item.keys
    start, end = keys[best - lo].span
    reply = " ".join(plain(keys[k - lo].text) for k in sorted(chosen))
    citation = Citation(
        source_id=item.item_id,
        title=item.title,
        sentence=item.text[start:end],
        start=start,
        end=end,
    )
    return Suggestion(
        text=reply,
        source="macro",
        macro_id=item.item_id,
        citations=(citation,),
        score=score,
        unfilled=placeholders(reply),
    )


def macro_suggestion(item: LibraryItem, score: float) -> Suggestion:
    return Suggestion(
        text=item.text,
        source="macro",
        macro_id=item.item_id,
        score=score,
        unfilled=placeholders(item.text),
    )


def rank(
    index: LibraryIndex,
    query_embedding: np.ndarray,
    recent_embeddings: np.ndarray | None,
    intent: IntentResult,
    n: int = 3,
    weights: Weights | None = None,
) -> list[Suggestion]:
    """The ``n`` best distinct suggestions for a message, best first."""
    w = weights or Weights()
    if n <= 0 or not index.items:
        return []
    scores, sims = score_items(index, query_embedding, recent_embeddings, intent, w)
    out: list[Suggestion] = []
    for item_no in diverse_top(index, scores, n, w):
        item = index.items[item_no]
        score = float(scores[item_no])
        if item.kind == "article":
            out.append(article_suggestion(index, item_no, sims, score, w))
        else:
            out.append(macro_suggestion(item, score))
    return out
