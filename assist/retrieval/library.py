"""The retrieval facade the engine and the app use: load once, rank per message, refresh on change.

``rank`` only reads an immutable index, so it is safe to call from the engine's worker while
``refresh`` (cheap when nothing changed: one stat per file) builds a new index and swaps it in.
``rank`` never touches the disk: call ``refresh`` from a timer or a folder watcher.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from assist import paths
from assist.retrieval.embedder import Embedder, embedder_key
from assist.retrieval.index import LibraryIndex, VectorCache, text_hash
from assist.retrieval.items import LibraryItem
from assist.retrieval.ranker import Weights, rank
from assist.retrieval.sources import bundled_items
from assist.retrieval.user_folder import UserFolder
from assist.types import IntentResult, Suggestion

log = logging.getLogger(__name__)


class Library:
    def __init__(
        self,
        embedder: Embedder,
        folder: Path,
        cache_root: Path,
        bundled: bool = True,
        weights: Weights | None = None,
    ) -> None:
        self.folder = folder
        self.weights = weights or Weights()
        self._bundled = [i.with_keys() for i in bundled_items()] if bundled else []
        self._user = UserFolder(folder)
        self._cache = VectorCache(
            cache_root / "retrieval" / embedder_key(embedder) / "vectors.npz", embedder
        )
        self._lock = threading.Lock()
        self._index = LibraryIndex.build([], self._cache)
        self._problems: tuple[str, ...] = ()
        self._by_id: dict[str, LibraryItem] = {}

    @classmethod
    def load(
        cls,
        embedder: Embedder,
        profile_dir: Path | None = None,
        *,
        cache_dir: Path | None = None,
        bundled: bool = True,
        weights: Weights | None = None,
    ) -> Library:
        """Bundled + the user's items (``<profile>/library``), indexed (from cache when it can)."""
        folder = (profile_dir or paths.profile_dir()) / "library"
        library = cls(embedder, folder, cache_dir or paths.cache_dir(), bundled, weights)
        library._user.ensure()
        library.refresh(force=True)
        return library

    def refresh(self, force: bool = False) -> bool:
        """Re-index if the user folder changed (only changed files are re-read and encoded)."""
        with self._lock:
            if not self._user.scan() and not force:
                return False
            items, problems = self._merge(self._user.items)
            self._problems = tuple(self._user.problems + problems)
            overridden = {u.item_id for u in items}
            keyed = [b for b in self._bundled if b.item_id not in overridden]
            keyed += [i.with_keys() for i in items]
            index = LibraryIndex.build(keyed, self._cache)
            self._cache.save({text_hash(k.text) for i in index.items for k in i.keys})
            self._by_id = {i.item_id: i for i in index.items}
            self._index = index
            return True

    def _merge(self, user: list[LibraryItem]) -> tuple[list[LibraryItem], list[str]]:
        """User items with unique ids; a user item may override a bundled one by using its id."""
        seen: dict[str, LibraryItem] = {}
        problems = []
        for item in user:
            if item.item_id in seen:
                problems.append(
                    f"library item id {item.item_id} in {item.origin} already used "
                    f"by {seen[item.item_id].origin}; ignored"
                )
                log.warning("%s", problems[-1])
                continue
            seen[item.item_id] = item
        return list(seen.values()), problems

    def rank(
        self,
        query_embedding: np.ndarray,
        recent_embeddings: np.ndarray | None,
        intent: IntentResult,
        n: int = 3,
    ) -> list[Suggestion]:
        """Best ``n`` distinct macros / KB answers for the current message (no disk access).

        ``recent_embeddings``: earlier turns of the conversation, oldest first, (k, dim) or None.
        Returns at most ``n`` (fewer when too little is relevant), best first; ``score`` is the
        relevance before the diversity step, so it need not decrease down the list.
        """
        return rank(self._index, query_embedding, recent_embeddings, intent, n, self.weights)

    @property
    def items(self) -> tuple[LibraryItem, ...]:
        return self._index.items

    @property
    def problems(self) -> tuple[str, ...]:
        """One line per file or row that could not be used, for the settings page."""
        return self._problems

    @property
    def encoded(self) -> int:
        """How many texts were encoded (not found in the cache) since loading."""
        return self._cache.encoded

    def get(self, macro_id: str) -> LibraryItem | None:
        return self._by_id.get(macro_id)

    def find(self, name: str, limit: int = 10) -> list[LibraryItem]:
        """Items whose title or id best matches what the agent typed ("insert macro by name")."""
        items = self._index.items
        choices = [f"{i.title} {i.item_id}" for i in items]
        found = process.extract(
            name, choices, scorer=fuzz.WRatio, limit=limit, processor=default_process
        )
        return [items[n] for _, _, n in found]

    def article_text(self, source_id: str) -> str:
        """The body a citation's span points into."""
        item = self.get(source_id)
        if item is None:
            raise KeyError(f"no library item {source_id!r}")
        return item.text
