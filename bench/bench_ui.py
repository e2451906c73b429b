"""Responsiveness of the desktop app while the demo runs with drafts on.

Prints ONE JSON line:
- ``window_shown_s``: process start to the main window's first paint (budget 2.5 s); the
  models load after it, off the UI thread (``models_ready_s``).
- ``stall_max_ms`` / ``stall_p99_ms``: UI event-loop lag measured by a 5 ms timer while the
  demo conversations replay with streamed drafts (budget 30 ms max).
- ``first_card_ms_p50`` / ``_max``: a customer message arriving (``Controller.receive``) to the
  first suggestion card painted, measured for messages that arrive while a draft is being
  decoded for another chat (budget 50 ms).
- The peer, measured in the same run: the same engine called on the UI thread, as an app
  without a worker would (painting between tokens at best); its stall is how long such a
  window freezes per customer message: analysis plus the whole prefill.

Run: ``QT_QPA_PLATFORM=offscreen python bench/bench_ui.py [--seconds 40]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
if "ASSIST_HOME" not in os.environ:  # never the user's real profile
    import tempfile

    os.environ["ASSIST_HOME"] = tempfile.mkdtemp(prefix="assist-bench-")

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from assist.engine import Engine  # noqa: E402
from assist.events import GenerationChunk, SuggestionsReady  # noqa: E402
from assist.settings import Settings  # noqa: E402
from assist.types import Message  # noqa: E402
from ui import theme  # noqa: E402
from ui.controller import Controller  # noqa: E402
from ui.demo_player import DemoPlayer  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

TICK_MS = 5
PROBES = [
    ("bench-a", "Hi, where is my order 55123? It's late."),
    ("bench-b", "How long does a refund take to reach my card?"),
    ("bench-c", "I want to change the delivery address for order 99812."),
    ("bench-d", "Can I speak to a manager please, this is unacceptable."),
    ("bench-e", "Do you ship to Canada?"),
    ("bench-f", "I forgot my password and can't log in."),
]


class PaintWatch(QObject):
    """Records when a widget is next painted while ``armed`` (a predicate) holds."""

    def __init__(self) -> None:
        super().__init__()
        self.painted_at: float | None = None
        self.armed: Callable[[], bool] = lambda: True

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint and self.painted_at is None and self.armed():
            self.painted_at = time.perf_counter()
        return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=40.0, help="demo replay to watch")
    args = parser.parse_args()

    app = QApplication(sys.argv[:1])
    settings = Settings()
    dark = theme.apply(app, settings["ui.theme"])  # the style and palette the app uses
    controller = Controller(settings, generate=True)
    window = MainWindow(controller, dark=dark)
    shown = PaintWatch()
    window.installEventFilter(shown)
    window.show()
    while shown.painted_at is None:
        app.processEvents()
    window_shown_s = shown.painted_at - START

    states: list[tuple[str, float]] = []
    controller.state_changed.connect(lambda s, _d: states.append((s, time.perf_counter())))
    controller.load()
    while not any(s in ("ready", "error") for s, _ in states):
        app.processEvents()
        time.sleep(0.002)
    models_ready_s = next(t for s, t in states if s in ("ready", "error")) - START

    # event-loop lag while the demo replays with drafts streaming
    lags: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        lags.append(max(0.0, (now - last[0]) * 1000 - TICK_MS))
        last[0] = now

    probe = QTimer()
    probe.timeout.connect(tick)
    probe.start(TICK_MS)
    player = DemoPlayer(speed=8.0)
    player.message.connect(controller.receive)
    player.start()

    # first-card latency: a customer writes in the chat on screen while the draft for their
    # previous message is still being decoded (the worst ordinary case)
    card_ms: list[float] = []
    ready_ms: list[float] = []  # message to SuggestionsReady on the UI thread
    drafting = [False]
    probe_at: dict[str, float] = {}
    sent: tuple[str, int, float] | None = None
    watch = PaintWatch()
    card = window.panel.cards[0]

    def on_event(e: object) -> None:
        if isinstance(e, GenerationChunk) and e.conversation_id == window.conversations.current:
            drafting[0] = True
        if (
            isinstance(e, SuggestionsReady)
            and sent is not None
            and (e.conversation_id, e.message_index) == sent[:2]
            and e.conversation_id in probe_at
        ):
            ready_ms.append((time.perf_counter() - probe_at.pop(e.conversation_id)) * 1000)

    card.text.installEventFilter(watch)
    controller.suggestion_event.connect(on_event)
    probes = list(PROBES)
    deadline = time.perf_counter() + args.seconds
    while time.perf_counter() < deadline:
        app.processEvents()
        if sent is not None and watch.painted_at is not None:
            card_ms.append((watch.painted_at - sent[2]) * 1000)
            sent = None
        if sent is None and probes and drafting[0]:
            cid = window.conversations.current
            snap = window.snapshots.get(cid or "")
            if cid is not None and snap is not None:
                _, text = probes.pop(0)
                index = len(snap.turns)
                watch.painted_at = None
                watch.armed = lambda cid=cid, index=index: (
                    window.shown.get(cid) is not None
                    and window.shown[cid].index == index
                    and card.suggestion is not None
                )
                t0 = time.perf_counter()
                probe_at[cid] = t0
                sent = (cid, index, t0)
                drafting[0] = False
                controller.receive(Message(cid, "customer", text), None)
        time.sleep(0.001)
    probe.stop()
    player.stop()

    controller.shutdown()

    # the peer, same run: an app without a worker, the engine (generator in this process)
    # called from the UI thread; how long the window freezes for one customer message
    peer = Engine.load(Settings(), generate=True)
    peer.warm_up()
    peer_stalls = []
    for cid, text in PROBES[:3]:
        last_paint = time.perf_counter()
        worst = 0.0
        peer.add_message(Message(cid, "customer", text))
        for _event in peer.suggest(peer.conversation(cid)):
            now = time.perf_counter()
            worst = max(worst, now - last_paint)
            app.processEvents()  # the best such an app could do: paint between tokens
            last_paint = time.perf_counter()
        peer_stalls.append(worst * 1000)

    lags.sort()
    result = {
        "bench": "ui",
        "window_shown_s": round(window_shown_s, 3),
        "models_ready_s": round(models_ready_s, 2),
        "stall_max_ms": round(max(lags), 1) if lags else None,
        "stall_p99_ms": round(lags[int(len(lags) * 0.99) - 1], 1) if lags else None,
        "ticks": len(lags),
        "first_card_ms_p50": round(statistics.median(card_ms), 1) if card_ms else None,
        "first_card_ms_max": round(max(card_ms), 1) if card_ms else None,
        "first_card_samples": len(card_ms),
        "suggestions_ready_ms_p50": round(statistics.median(ready_ms), 1) if ready_ms else None,
        "peer": "the same engine called on the UI thread (no worker, painting between tokens)",
        "peer_stall_max_ms_p50": round(statistics.median(peer_stalls), 1),
        "stall_ratio_peer_over_app": round(statistics.median(peer_stalls) / max(lags), 1)
        if lags and max(lags) > 0
        else None,
        "budget": {"window_shown_s": 2.5, "stall_max_ms": 30, "first_card_ms": 50},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
