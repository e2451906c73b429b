"""How long retrieval takes from "the message embedding is ready" to "the ranked list is ready".

Library: the bundled set plus a synthetic user folder of 2,000 Markdown articles (sentences of
Bitext replies recombined, real encoder vectors). Queries: real customer messages (Bitext) with the
two previous messages as recent turns and their intent at 0.8 confidence.
Peer, measured in the same run: the same scoring written as a plain per-item Python loop (what
a first implementation would do). Also: the cheap no-change ``refresh`` (a stat per file), and the
load time with a warm vector cache. Budget: 50 ms.

Prints one JSON line. The first run encodes the synthetic library (minutes on a laptop CPU); the
vectors are cached under ``<cache dir>/bench-retrieval``, so later runs take seconds.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assist.paths import cache_dir, data_dir  # noqa: E402
from assist.retrieval import Library  # noqa: E402
from assist.retrieval.ranker import intent_probabilities, recent_vector  # noqa: E402
from assist.types import IntentResult  # noqa: E402

ARTICLES = 2000
QUERIES = 200
BUDGET_MS = 50.0


def load_embedder() -> object:
    from assist.runtime.text_models import TextModels

    return TextModels.load()


def synthetic_library(folder: Path, rows: list[dict[str, str]], rng: random.Random) -> None:
    sentences = sorted(
        {
            s.strip()
            for r in rows
            for s in re.split(r"(?<=[.!?])\s+", r["response"])
            if 6 <= len(s.split()) <= 30 and "{{" not in s
        }
    )[:1500]
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(ARTICLES):
        body = " ".join(rng.sample(sentences, 4))
        title = rng.choice(rows)["instruction"][:60]
        (folder / f"article-{n:04d}.md").write_text(f"# {title}\n\n{body}\n", "utf-8")


def python_loop_rank(
    library: Library, query: np.ndarray, recent: np.ndarray, intent: IntentResult, n: int
) -> list[str]:
    """The peer: per-item loop, same formula, no diversity step."""
    w = library.weights
    r = recent_vector(recent, w.recent_decay)
    probe = query + w.recent * r if r is not None else query
    probe = probe / np.linalg.norm(probe)
    probs = intent_probabilities(intent)
    index = library._index
    scored = []
    for i, item in enumerate(index.items):
        lo, hi = index.key_range(i)
        best = float(np.max(index.key_vectors[lo:hi] @ probe))
        boost = max((probs.get(label, 0.0) for label in item.intents), default=0.0)
        scored.append((w.query * best + w.intent * boost, item.item_id))
    return [item_id for _, item_id in sorted(scored, reverse=True)[:n]]


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
    }


def main() -> None:
    rng = random.Random(7)
    with (data_dir() / "bitext" / "pairs.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    embedder = load_embedder()
    home = Path(tempfile.mkdtemp(prefix="assist-bench-"))
    synthetic_library(home / "library" / "kb", rows, rng)
    cache = cache_dir() / "bench-retrieval"  # its own, so the app's vectors are never pruned
    started = time.perf_counter()
    library = Library.load(embedder, home, cache_dir=cache)  # type: ignore[arg-type]
    first_load_s = time.perf_counter() - started
    started = time.perf_counter()
    Library.load(embedder, home, cache_dir=cache)  # type: ignore[arg-type]
    warm_load_s = time.perf_counter() - started

    picked = rng.sample(rows, QUERIES + 2)
    vectors = embedder.encode([r["instruction"] for r in picked])  # type: ignore[attr-defined]
    cases = [
        (vectors[i + 2], vectors[i : i + 2], IntentResult(r["intent"], 0.8, ((r["intent"], 0.8),)))
        for i, r in enumerate(picked[2:])
    ]
    for q, recent, intent in cases[:10]:  # warm-up
        library.rank(q, recent, intent)
    ours, peer, refresh = [], [], []
    for q, recent, intent in cases:
        t0 = time.perf_counter()
        library.rank(q, recent, intent, 3)
        ours.append(time.perf_counter() - t0)
    for q, recent, intent in cases[:50]:
        t0 = time.perf_counter()
        python_loop_rank(library, q, recent, intent, 3)
        peer.append(time.perf_counter() - t0)
    for _ in range(20):
        t0 = time.perf_counter()
        library.refresh()
        refresh.append(time.perf_counter() - t0)
    result = {
        "bench": "retrieval",
        "items": len(library.items),
        "keys": int(len(library._index.key_vectors)),
        "rank": percentiles(ours),
        "peer_python_loop": percentiles(peer),
        "speedup_vs_peer_p50": round(float(np.median(peer) / np.median(ours)), 1),
        "budget_ms": BUDGET_MS,
        "p99_share_of_budget": round(float(np.percentile(ours, 99)) * 1000 / BUDGET_MS, 3),
        "refresh_unchanged": percentiles(refresh),
        "load_first_s": round(first_load_s, 2),
        "load_warm_cache_s": round(warm_load_s, 2),
        "encoded_first_load": library.encoded,
        "encoder": type(embedder).__name__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
