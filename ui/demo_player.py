"""The demo source: replays the bundled conversations into the app with realistic timing.

All conversations play at once, each starting STAGGER_S (recorded time) after the previous
one, interleaved by their recorded timestamps, as an agent juggling chats sees them. Each pause
is the recorded gap divided by ``speed`` and capped, so the demo never stalls. Messages are
re-stamped to now, so waiting times in the app are real.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal

from assist.demo_source import load_demo
from assist.types import Message

MAX_PAUSE_S = 3.0
FIRST_PAUSE_S = 0.3
STAGGER_S = 25.0


class DemoPlayer(QObject):
    message = Signal(object, object)  # Message, customer name
    finished = Signal()

    def __init__(self, speed: float = 4.0, parent: QObject | None = None):
        super().__init__(parent)
        self.speed = speed
        queue: list[tuple[float, Message, str]] = []
        for k, demo in enumerate(load_demo()):
            first = demo.messages[0].ts if demo.messages else None
            for i, m in enumerate(demo.messages):
                rel = (m.ts - first).total_seconds() if m.ts and first else 30.0 * i
                queue.append((k * STAGGER_S + rel, m, demo.customer_name))
        queue.sort(key=lambda q: q[0])  # stable: a conversation's own order is kept
        self._queue = queue
        self._pos = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._next)

    def start(self) -> None:
        self._timer.start(int(FIRST_PAUSE_S * 1000))

    def stop(self) -> None:
        self._timer.stop()

    @property
    def remaining(self) -> int:
        return len(self._queue) - self._pos

    def _next(self) -> None:
        if self._pos >= len(self._queue):
            self.finished.emit()
            return
        at, message, name = self._queue[self._pos]
        self._pos += 1
        self.message.emit(replace(message, ts=datetime.now(UTC)), name)
        if self._pos < len(self._queue):
            gap = self._queue[self._pos][0] - at
            pause = 0.0 if self.speed <= 0 else min(max(gap, 0) / self.speed, MAX_PAUSE_S)
            self._timer.start(int(pause * 1000))
        else:
            self.finished.emit()
