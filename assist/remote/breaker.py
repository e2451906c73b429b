"""A circuit breaker for the remote server: after repeated failures, stop asking for a while.

Why: a dead or overloaded GPU server would otherwise cost every suggestion a connect timeout
before the local model answers; with the circuit open the fallback is immediate, and one probe
after the cool-down finds out when the server is back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    """Stops hammering a dead server: after ``threshold`` consecutive failures calls are refused
    for ``cooldown`` seconds, then exactly one probe is let through (half-open); its outcome
    closes or re-opens the circuit. ``clock`` is injectable so tests need no sleeping."""

    def __init__(
        self,
        threshold: int = 3,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold, self.cooldown, self._clock = threshold, cooldown, clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._probing or self._clock() - self._opened_at >= self.cooldown:
                return "half_open"
            return "open"

    def allow(self) -> bool:
        """True if a call may go out now; in half-open only the first caller gets True."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._probing or self._clock() - self._opened_at < self.cooldown:
                return False
            self._probing = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._probing = 0, None, False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.threshold:
                self._opened_at, self._probing = self._clock(), False

    def record_neutral(self) -> None:
        """A call that proved nothing (cancelled, bad request): free the probe slot."""
        with self._lock:
            self._probing = False
