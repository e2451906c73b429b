"""The one thing retrieval needs from the model runtime: turning texts into unit vectors.

Kept as a Protocol so retrieval neither imports the ONNX runtime nor cares which encoder is used
(the app passes ``TextModels``; tests and tools may pass any real encoder).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

import numpy as np

_PROBE = "Where is my order? I would like a refund for the broken item."


class Embedder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 rows, L2-normalised."""
        ...


def embedder_key(embedder: Embedder) -> str:
    """A short id of the encoder, so cached vectors of another encoder are never reused.

    Taken from the vector of a fixed probe sentence rather than a declared name: two encoders
    that disagree on it cannot share a cache, whatever they call themselves.
    """
    probe = np.asarray(embedder.encode([_PROBE]), dtype=np.float32)[0]
    rounded = np.round(probe, 2).astype(np.float16).tobytes()
    return hashlib.sha256(rounded).hexdigest()[:16]
