"""The real sentence encoder for the retrieval tests: the project's own built TextModels.

The retrieval package only needs something with ``encode(texts) -> (n, 384)`` unit vectors; the
test command builds the models first, so the tests use exactly what the app uses. Never a mock,
never random vectors.
"""

from __future__ import annotations

import functools

from assist.runtime.text_models import TextModels


@functools.lru_cache(maxsize=1)
def real_embedder() -> TextModels:
    """One encoder for the whole test session (loading takes a second)."""
    return TextModels.load()
