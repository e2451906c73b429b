"""Retrieval suggestions: bundled and user macros / KB articles ranked for each customer message.

Use :class:`Library` (``Library.load(embedder)``, then ``library.rank(...)`` per message).
"""

from assist.retrieval.embedder import Embedder
from assist.retrieval.items import LibraryItem
from assist.retrieval.library import Library
from assist.retrieval.ranker import Weights

__all__ = ["Embedder", "Library", "LibraryItem", "Weights"]
