"""Past replies the reply model adapts: a near, typical earlier (message, reply) of the intent.

Why: on Bitext the best single predictor of an agent's reply is the reply an agent wrote to the
most similar earlier message of the same intent (ROUGE-L ≈ 0.33 against ≈ 0.22 for the best
macro), and a 135M model rewriting a short macro loses most of that content. So the prompt shows
such a past reply as the answer to adapt (``assist.prompt``), and the fine-tuned adapter
was trained on exactly that: a neighbour's reply in the note, the real reply as the target.

A past reply was written to somebody else. The facts of that conversation (its order number,
name, amount, city) are turned back into slots when the memory is built (``generalise``), so
the engine fills them from *this* conversation or leaves them visible, and a neighbour's order
number can never reach a draft as if it were grounded.

The memory ships with the bundled reply model (``past_replies.jsonl`` in the llm artifact, built
from the train split by ``models/llm.py``) with its messages' vectors (``past_replies.npz``), so
the first start does not spend ~30 s encoding them; if the encoder changed since, they are
encoded once and cached like the library's (``assist.retrieval.index.VectorCache``).

Nearest is not best. Bitext's replies to one intent vary in wording, and the reply to the
single most similar message is barely better than a random reply of the intent (ROUGE-L 0.354
against 0.323 on 200 dev rows) while the intent's most typical reply scores 0.388 but loses
the message's meaning (similarity 0.65 against 0.76). So ``pick`` ranks the intent's replies
by three things: their message's similarity to this message, their ``typicality`` (mean
ROUGE-L to the intent's other replies: what agents usually write) and the similarity of the
*reply itself* to this message (a reply that speaks to what the customer asked, not only one
written to a similar message). The weights were chosen on the train split, each train
message picking among the others' replies (600 rows; ROUGE-L / similarity of the reply
picked to the real one): message similarity alone 0.361 / 0.754 on dev, + typicality
(weight 1, the stage 5 rule) 0.383 / 0.763 on train, + typicality 2 and the reply's own
similarity 1 0.390 / 0.777 on train, 0.388 / 0.768 on 300 dev rows (0.384 / 0.757 before).
Typicality and the replies' vectors ship in ``past_replies.npz`` too.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from assist.overlap import rouge_l_words, words
from assist.reply_data import ReplyExample
from assist.retrieval.embedder import Embedder, embedder_key
from assist.retrieval.index import VectorCache, text_hash

log = logging.getLogger(__name__)
FILE = "past_replies.jsonl"
VECTORS = "past_replies.npz"  # messages' and replies' vectors, with the key of their encoder
# the slot a Bitext entity of the row becomes in its generalised reply
SLOT_OF_ENTITY = {
    "order_id": "{{Order Number}}",
    "invoice_id": "{{Invoice Number}}",
    "person_name": "{{Customer Name}}",
    "refund_amount": "{{Refund Amount}}",
    "delivery_city": "{{Delivery City}}",
    "delivery_country": "{{Delivery Country}}",
    "account_type": "{{Account Type}}",
}
_LONG_NUMBER = re.compile(r"(?<![\w{])\d{6,}(?![\w}])")  # an id of that conversation
MIN_SIMILARITY = 0.35  # below this the "nearest" message is about something else
TYPICALITY_WEIGHT = 2.0  # typicality's weight against message similarity (both in 0..1)
REPLY_WEIGHT = 1.0  # the weight of the reply's own similarity to the customer's message
TYPICALITY_SAMPLE = 40  # the intent's replies each one is compared with (evenly spaced)


@dataclass(frozen=True)
class PastReply:
    message: str
    intent: str
    reply: str


def generalise(reply: str, entity_type: str = "", entity_value: str = "") -> str:
    """``reply`` with its conversation's facts made slots again: the row's annotated entity,
    and any other long number (an id nobody else shares); plain newlines."""
    text = reply.replace("\r\n", "\n").replace("\r", "\n").strip()
    slot = SLOT_OF_ENTITY.get(entity_type)
    value = entity_value.strip()
    if slot and len(value) >= 2:
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", slot, text, flags=re.IGNORECASE)
    return _LONG_NUMBER.sub(SLOT_OF_ENTITY["order_id"], text)


def _rows_by_intent(items: Sequence[PastReply]) -> dict[str, np.ndarray]:
    rows: dict[str, list[int]] = {}
    for i, p in enumerate(items):
        rows.setdefault(p.intent, []).append(i)
    return {k: np.array(v, dtype=np.int64) for k, v in rows.items()}


def typicality(items: Sequence[PastReply]) -> np.ndarray:
    """Each reply's mean ROUGE-L F1 to up to ``TYPICALITY_SAMPLE`` other replies of its intent
    (evenly spaced, so the same on every build): how much of it is what agents usually write
    for that intent. 0 for an intent's only reply. ~1 s for Bitext's 2.5k replies."""
    toks = [words(p.reply) for p in items]
    out = np.zeros(len(items), dtype=np.float32)
    for rows in _rows_by_intent(items).values():
        k = min(TYPICALITY_SAMPLE, len(rows))
        sample = rows[(np.arange(k) * len(rows)) // k]
        for i in rows:
            others = [rouge_l_words(toks[i], toks[j]) for j in sample if j != i]
            out[i] = float(np.mean(others)) if others else 0.0
    return out


class ReplyMemory:
    """Past replies with their messages' and their own vectors and typicality; ``pick``
    chooses the one to adapt."""

    def __init__(
        self,
        items: Sequence[PastReply],
        vectors: np.ndarray,
        reply_vectors: np.ndarray,
        typical: np.ndarray | None = None,
    ) -> None:
        if not len(items) == len(vectors) == len(reply_vectors):
            raise ValueError("ReplyMemory: one message vector and one reply vector per reply")
        self.items = tuple(items)
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.reply_vectors = np.asarray(reply_vectors, dtype=np.float32)
        if typical is None or len(typical) != len(self.items):
            typical = typicality(self.items)
        self.typical = np.asarray(typical, dtype=np.float32)
        self._by_intent = _rows_by_intent(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @classmethod
    def encode(
        cls,
        items: Sequence[PastReply],
        embedder: Embedder,
        cache_root: Path,
        typical: np.ndarray | None = None,
    ) -> ReplyMemory:
        """The memory with its messages and replies encoded, the vectors cached per encoder
        under ``cache_root`` (a file of its own: the library's cache drops texts it doesn't
        hold); ``typical``: the replies' typicality when known (it does not depend on the
        encoder)."""
        path = cache_root / "retrieval" / embedder_key(embedder) / "past_replies.npz"
        cache = VectorCache(path, embedder)
        texts = [p.message for p in items] + [p.reply for p in items]
        if not items:
            empty = np.zeros((0, 1), np.float32)
            return cls(items, empty, empty, typical)
        vectors = cache.vectors(texts)
        cache.save({text_hash(t) for t in texts})
        return cls(items, vectors[: len(items)], vectors[len(items) :], typical)

    @classmethod
    def load(cls, folder: Path, embedder: Embedder, cache_root: Path) -> ReplyMemory | None:
        """The memory shipped in a model folder (None when it has none); ValueError when its
        file is damaged."""
        path = folder / FILE
        if not path.is_file():
            return None
        items = read_jsonl(path)
        typical = None
        try:
            with np.load(folder / VECTORS) as data:
                key, vectors = str(data["key"]), data["vectors"].astype(np.float32)
                replies = data["reply_vectors"].astype(np.float32)
                typical = data.get("typical")
            if key == embedder_key(embedder) and len(vectors) == len(replies) == len(items):
                return cls(items, vectors, replies, typical)
            log.info("past replies: vectors of another encoder; encoding messages and replies")
        except (OSError, ValueError, KeyError) as e:
            log.info("past replies: no usable vectors (%s); encoding messages and replies", e)
        return cls.encode(items, embedder, cache_root, typical)  # typicality kept: same replies

    def save(self, folder: Path, embedder: Embedder) -> None:
        """Write the memory, its vectors (fp16: ample for a nearest-neighbour pick) and the
        replies' typicality."""
        write_jsonl(self.items, folder / FILE)
        np.savez(
            folder / VECTORS,
            key=np.array(embedder_key(embedder)),
            vectors=self.vectors.astype(np.float16),
            reply_vectors=self.reply_vectors.astype(np.float16),
            typical=self.typical,
        )

    def pick(
        self, vector: np.ndarray, intent: str, exclude: str | None = None
    ) -> tuple[PastReply, float] | None:
        """The past reply to adapt among ``intent``'s, with its message's similarity to
        ``vector``: the best by message similarity + ``TYPICALITY_WEIGHT`` × typicality +
        ``REPLY_WEIGHT`` × the reply's similarity to ``vector``, among those whose message is
        at least ``MIN_SIMILARITY`` similar (None when there is none); ``exclude`` skips a
        message (a training example must not be shown its own reply)."""
        rows = self._by_intent.get(intent)
        if rows is None or not len(rows):
            return None
        query = np.asarray(vector, dtype=np.float32)
        sims = self.vectors[rows] @ query
        ok = sims >= MIN_SIMILARITY
        if exclude is not None:
            ok &= np.array([self.items[int(i)].message != exclude for i in rows])
        if not ok.any():
            return None
        score = (
            sims
            + TYPICALITY_WEIGHT * self.typical[rows]
            + REPLY_WEIGHT * (self.reply_vectors[rows] @ query)
        )
        ranked = np.where(ok, score, -np.inf)
        j = int(np.argmax(ranked))
        return self.items[int(rows[j])], float(sims[j])


def past_replies(rows: Iterable[ReplyExample]) -> list[PastReply]:
    """Bitext rows as past replies (generalised; one per distinct message)."""
    seen: set[str] = set()
    out = []
    for row in rows:
        if row.message in seen:
            continue
        seen.add(row.message)
        reply = generalise(row.reply, row.entity_type, row.entity_value)
        out.append(PastReply(row.message, row.intent, reply))
    return out


def write_jsonl(items: Iterable[PastReply], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(asdict(item), ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[PastReply]:
    """The past replies of a memory file; ValueError naming the line that is broken."""
    out = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out.append(PastReply(str(row["message"]), str(row["intent"]), str(row["reply"])))
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise ValueError(f"{path}:{no}: not a past reply ({e})") from None
    return out
