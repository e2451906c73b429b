"""The app's writes to the store, on their own worker: some at once, some a moment later.

Why two speeds: an agent's action (accept, edit, reject) is confirmed only once it is
committed, so it is written at once. What the app records on its own -- a suggestion shown or
ignored, a message received -- happens in the same instant a new message is being drawn, and
SQLAlchemy spends 1-4 ms of Python per write: on the store's thread that held the GIL the UI
thread needed, and was the largest part of the window's stalls on 2 cores (max 55 -> 27 ms
with those writes out of the way, measured). So those are kept for ``LATER_MS`` after the
last one (at most ``MAX_WAIT_MS``) and written together when the window has gone quiet; a
crash can lose at most that moment of "shown" bookkeeping, never a confirmed action, and
closing writes everything that is pending.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QTimer

from ui.tasks import TaskRunner

LATER_MS = 400
MAX_WAIT_MS = 2000
S = TypeVar("S")  # the store type


class StoreWriter(QObject, Generic[S]):
    def __init__(self, open_store: Callable[[], S], on_error: Callable[[str], None]) -> None:
        super().__init__()
        self.tasks = TaskRunner("assist-store")
        self.store: S | None = None
        self._open = open_store
        self._on_error = on_error
        self._later: list[Callable[[S], Any]] = []
        self._first_later = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    def open(self) -> None:
        def work(cancel: threading.Event) -> None:
            self.store = self._open()

        self.tasks.submit(work, on_error=lambda e: self._on_error(str(e)))

    def reopen(self) -> None:
        """Write what is kept for later to the store it was meant for, then open it anew (the
        settings that say which store changed)."""
        self.flush()

        def work(cancel: threading.Event) -> None:
            self._close_store()
            self.store = self._open()

        self.tasks.submit(work, on_error=lambda e: self._on_error(str(e)))

    def now(self, fn: Callable[[S], Any], on_result: Callable[[Any], None] | None = None) -> None:
        """Write at once (after whatever is already queued); ``on_result`` once committed."""
        self._submit(lambda store: fn(store), on_result)

    def later(self, fn: Callable[[S], Any]) -> None:
        """Write when the window has been quiet for ``LATER_MS`` (or ``MAX_WAIT_MS`` passed)."""
        if not self._later:
            self._first_later = time.monotonic()
        self._later.append(fn)
        waited_ms = (time.monotonic() - self._first_later) * 1000
        self._timer.start(max(0, min(LATER_MS, int(MAX_WAIT_MS - waited_ms))))

    def flush(self) -> None:
        """Write everything kept for later, in the order it came."""
        self._timer.stop()
        batch, self._later = self._later, []
        if batch:
            self._submit(lambda store: [fn(store) for fn in batch], None)

    def close(self, timeout: float = 5.0) -> None:
        self.flush()

        self.tasks.submit(lambda cancel: self._close_store())
        self.tasks.shutdown(timeout=timeout)

    def _close_store(self) -> None:
        store, self.store = self.store, None
        close = getattr(store, "close", None)
        if close is not None:
            close()

    def _submit(self, fn: Callable[[S], Any], on_result: Callable[[Any], None] | None) -> None:
        if self.tasks.closed:  # shutting down: late UI events have nothing to save
            return

        def work(cancel: threading.Event) -> Any:
            if self.store is None:
                raise RuntimeError("the feedback store is not open")
            return fn(self.store)

        self.tasks.submit(
            work, on_result=on_result, on_error=lambda e: self._on_error(f"not saved: {e}")
        )
