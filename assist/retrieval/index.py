"""Vectors of every library text: cached on disk by content hash, packed for fast scoring.

Encoding the library is the slow part (seconds to minutes on a laptop CPU); scoring it is a
matrix product (milliseconds). So each text is encoded once per encoder, stored under
``cache_dir()/retrieval/<encoder key>/vectors.npz`` keyed by the sha256 of the text, and a changed
file only costs the encoding of its new texts.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assist.retrieval.embedder import Embedder
from assist.retrieval.items import LibraryItem

log = logging.getLogger(__name__)
ENCODE_CHUNK = 256  # texts per encoder call, to bound the memory of one call


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class VectorCache:
    """Text-hash → vector store of one encoder, persisted as a single npz file."""

    def __init__(self, path: Path, embedder: Embedder) -> None:
        self.path = path
        self.embedder = embedder
        self._rows: dict[str, np.ndarray] = {}
        self._dirty = False
        self.encoded = 0  # texts encoded by this instance (not found in the cache)
        if path.is_file():
            try:
                with np.load(path) as data:
                    self._rows = dict(zip(data["hashes"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError) as e:
                log.warning("retrieval cache %s unreadable (%s); re-encoding the library", path, e)

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) vectors, encoding only the texts not seen before (in one batch)."""
        hashes = [text_hash(t) for t in texts]
        missing = {h: t for h, t in zip(hashes, texts, strict=True) if h not in self._rows}
        todo = list(missing.items())
        for start in range(0, len(todo), ENCODE_CHUNK):
            chunk = todo[start : start + ENCODE_CHUNK]
            encoded = np.asarray(self.embedder.encode([t for _, t in chunk]), dtype=np.float32)
            self._rows.update(zip((h for h, _ in chunk), encoded, strict=True))
            self.encoded += len(chunk)
            self._dirty = True
        if not hashes:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._rows[h] for h in hashes])

    def save(self, keep: set[str]) -> None:
        """Write the rows still in use (dropping edited-away texts), atomically."""
        stale = self._rows.keys() - keep
        if not self._dirty and not stale:
            return
        for h in stale:
            del self._rows[h]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        hashes = np.array(list(self._rows), dtype="U64")
        vectors = (
            np.stack(list(self._rows.values()))
            if self._rows
            else np.zeros((0, 0), dtype=np.float32)
        )
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, hashes=hashes, vectors=vectors)
            os.replace(tmp, self.path)
        except OSError as e:
            log.warning("could not write retrieval cache %s: %s", self.path, e)
            Path(tmp).unlink(missing_ok=True)
            return
        self._dirty = False


@dataclass(frozen=True)
class LibraryIndex:
    """Immutable packed form of the library, swapped whole on refresh (safe to read anywhere).

    Keys of one item are contiguous: item i owns rows ``starts[i]:starts[i+1]`` of ``key_vectors``.
    """

    items: tuple[LibraryItem, ...]
    key_vectors: np.ndarray  # (keys, dim)
    starts: np.ndarray  # (items,) first key row of each item
    primary: np.ndarray  # (items, dim) vector of each item's own text, for diversity
    is_sentence: np.ndarray  # (keys,) bool
    by_intent: dict[str, np.ndarray]  # intent label -> item indices

    @classmethod
    def build(cls, items: Sequence[LibraryItem], cache: VectorCache) -> LibraryIndex:
        items = tuple(i for i in items if i.keys)
        texts = [k.text for item in items for k in item.keys]
        vectors = cache.vectors(texts)
        counts = np.array([len(i.keys) for i in items], dtype=np.int64)
        starts = (np.cumsum(counts) - counts).astype(np.int64)
        intents: dict[str, list[int]] = {}
        for n, item in enumerate(items):
            for label in item.intents:
                intents.setdefault(label, []).append(n)
        return cls(
            items=items,
            key_vectors=np.ascontiguousarray(vectors, dtype=np.float32),
            starts=starts,
            primary=vectors[starts] if len(items) else vectors,
            is_sentence=np.array([k.kind == "sentence" for i in items for k in i.keys], dtype=bool),
            by_intent={k: np.array(v, dtype=np.int64) for k, v in intents.items()},
        )

    def key_range(self, item: int) -> tuple[int, int]:
        end = self.starts[item + 1] if item + 1 < len(self.starts) else len(self.key_vectors)
        return int(self.starts[item]), int(end)
