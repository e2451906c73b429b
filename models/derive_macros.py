"""Derive the bundled reply macros from Bitext's pairs (a one-off, re-runnable dev tool).

Bitext's ``macros.csv`` has one short canonical reply per intent. Agents get better suggestions from
a few *distinct* good replies per intent, so this picks, for each intent, the representative reply
of each of ``k`` clusters of that intent's responses (k-means on the shared encoder's embeddings;
the most central of the cluster, preferring the shorter of near-ties), plus the customer questions
closest to each cluster so the ranker can match questions to questions. Annotated entity values
(order numbers, names, cities...) are replaced by ``{{Slot}}`` placeholders in both, so no
customer's data leaks into a macro.

Run from the repo after `assist models build`: ``python -m models.derive_macros``
(writes resources/macros/).
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from assist.paths import cache_dir, data_dir, repo_root
from assist.retrieval.embedder import Embedder, embedder_key
from assist.retrieval.index import VectorCache, text_hash

CLUSTERS = 3
EXAMPLES_PER_MACRO = 3
EXAMPLES_PER_INTENT = 5
MIN_CLUSTER_SHARE = 0.1  # a smaller cluster is an oddity of the data, not a way to answer
_MONEY = re.compile(
    r"[$€£]\s?\d[\d,.]*\d|\b\d[\d,.]*\s?(?:dollars|euros|pounds|usd|eur)\b", re.IGNORECASE
)
_CURRENCY_AROUND = re.compile(
    r"[$€£]\s?\{\{Refund Amount\}\}|\{\{Refund Amount\}\}\s?"
    r"(?:dollars|euros|pounds|usd|eur)\b",
    re.IGNORECASE,
)
SLOTS = {
    "order_id": "Order Number",
    "invoice_id": "Invoice Number",
    "person_name": "Client Name",
    "delivery_city": "Delivery City",
    "delivery_country": "Delivery Country",
    "refund_amount": "Refund Amount",
    "account_type": "Account Type",
}


def _anonymise(row: dict[str, str], text: str) -> str:
    """``text`` with the row's entity value (the whole id token, for ids) as a placeholder."""
    value = row["entity_value"].strip()
    money = "{{" + SLOTS["refund_amount"] + "}}"
    text = _MONEY.sub(money, text)  # replies often quote another amount than the one asked about
    if not row["entity_type"] or not value:
        return text
    pattern = re.escape(value)
    if row["entity_type"].endswith("_id"):
        pattern = r"[#\w-]*" + pattern + r"[\w-]*"
    slot = "{{" + SLOTS.get(row["entity_type"], row["entity_type"].replace("_", " ").title()) + "}}"
    text = re.sub(pattern, slot, text, flags=re.IGNORECASE)
    return _CURRENCY_AROUND.sub(money, text)


def _kmeans(vectors: np.ndarray, k: int, iterations: int = 20) -> np.ndarray:
    """Cosine k-means with a deterministic farthest-point start; returns a label per row."""
    centre = vectors.mean(axis=0)
    seeds = [int(np.argmax(vectors @ centre))]
    while len(seeds) < k:
        nearest = (vectors @ vectors[seeds].T).max(axis=1)
        seeds.append(int(np.argmin(nearest)))
    centroids = vectors[seeds]
    labels = np.zeros(len(vectors), dtype=int)
    for _ in range(iterations):
        labels = np.argmax(vectors @ centroids.T, axis=1)
        for c in range(k):
            members = vectors[labels == c]
            if len(members):
                mean = members.mean(axis=0)
                centroids[c] = mean / np.linalg.norm(mean)
    return labels


def _central(vectors: np.ndarray) -> np.ndarray:
    """Row indices, most central (highest mean cosine to the others) first."""
    return np.argsort(-(vectors @ vectors.mean(axis=0)), kind="stable")


def _distinct(texts: list[str], order: np.ndarray, count: int) -> list[str]:
    picked: list[str] = []
    for i in order:
        text = " ".join(texts[i].split())
        if text.lower() not in {p.lower() for p in picked}:
            picked.append(text)
        if len(picked) == count:
            break
    return picked


def derive(embedder: Embedder, pairs_csv: Path, out_dir: Path) -> None:
    by_intent: dict[str, list[dict[str, str]]] = defaultdict(list)
    with pairs_csv.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            by_intent[row["intent"]].append(row)
    cache = VectorCache(cache_dir() / "retrieval" / embedder_key(embedder) / "derive.npz", embedder)
    used: set[str] = set()
    replies: list[list[str]] = []
    examples: list[list[str]] = []
    for intent in sorted(by_intent):
        rows = by_intent[intent]
        questions = [_anonymise(r, r["instruction"]) for r in rows]
        answers = [_anonymise(r, r["response"].strip()) for r in rows]
        q_vecs = cache.vectors(questions)
        a_vecs = cache.vectors(answers)
        used.update(text_hash(t) for t in questions + answers)
        examples.append(
            [intent, " | ".join(_distinct(questions, _central(q_vecs), EXAMPLES_PER_INTENT))]
        )
        labels = _kmeans(a_vecs, CLUSTERS)
        first = len(replies)
        for c in range(CLUSTERS):
            members = np.flatnonzero(labels == c)
            if len(members) < MIN_CLUSTER_SHARE * len(rows):
                continue
            top = members[_central(a_vecs[members])[:5]]
            best = min(top, key=lambda i: len(answers[i]))
            q_order = members[_central(q_vecs[members])]
            replies.append(
                [
                    f"bitext:{intent}/{len(replies) - first + 1}",
                    intent,
                    intent.replace("_", " ").capitalize(),
                    answers[best],
                    " | ".join(_distinct(questions, q_order, EXAMPLES_PER_MACRO)),
                ]
            )
        print(f"{intent}: {len(rows)} rows", file=sys.stderr)
    cache.save(used)
    with (out_dir / "bitext_replies.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "intent", "title", "text", "examples"])
        writer.writerows(replies)
    with (out_dir / "bitext_examples.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["intent", "examples"])
        writer.writerows(examples)


def main() -> None:
    from assist.runtime.text_models import TextModels

    derive(
        TextModels.load(), data_dir() / "bitext" / "pairs.csv", repo_root() / "resources" / "macros"
    )


if __name__ == "__main__":
    main()
