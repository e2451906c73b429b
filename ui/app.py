"""Start the desktop app: `assist app [--demo] [--screenshot FILE --quit-after S]`.

Start-up order is chosen for a usable window at once: the window appears first, the models
load on the engine worker (status bar: loading → ready), the ingestion API starts on the
store worker, and the demo begins replaying when the models are ready.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from assist import __version__
from assist.ingest import IngestHub
from assist.ingest.server import IngestServer
from assist.logs import setup_logging
from assist.secrets import TokenInfo, ingest_token
from assist.settings import Settings, SettingsError
from ui import theme
from ui.controller import Controller
from ui.demo_player import DemoPlayer
from ui.main_window import MainWindow


class App:
    """Everything one run of the app holds; ``run`` returns the exit code."""

    def __init__(self, args: argparse.Namespace, qapp: QApplication):
        self.args = args
        self.qapp = qapp
        try:
            self.settings = Settings.load()
            settings_error = None
        except SettingsError as e:  # a broken file: defaults, and say so
            self.settings, settings_error = Settings(), str(e)
        dark = theme.apply(qapp, self.settings["ui.theme"])
        self.controller = Controller(self.settings, generate=not args.no_generate)
        self.window = MainWindow(self.controller, dark=dark)
        self.token: TokenInfo | None = None
        self.server: IngestServer | None = None
        self.player: DemoPlayer | None = None
        if settings_error:
            self.window.notify(f"settings ignored: {settings_error}")
        self.window.app = self

    def start(self) -> None:
        self.window.show()
        self.controller.state_changed.connect(self._maybe_start_demo)
        self.controller.load()
        if self.settings["ingest.enabled"] and not self.args.no_listen:
            self.controller.store_tasks.submit(
                self._listen, on_result=self.window.notify, on_error=self._listen_failed
            )
        if self.args.quit_after is not None or self.args.screenshot:
            delay = self.args.quit_after if self.args.quit_after is not None else 20.0
            QTimer.singleShot(int(delay * 1000), self._finish)
        if self.args.view == "compact":
            QTimer.singleShot(0, self.window, self.window.toggle_compact)
        elif self.args.view == "settings":
            QTimer.singleShot(0, self.window, self.window.open_settings)

    def _listen(self, cancel: threading.Event) -> str:
        self.token = ingest_token()
        hub = IngestHub()
        server = IngestServer(hub, self.token.value, port=self.settings["ingest.port"])
        server.start()
        self.server = server
        self.controller.listen(hub)
        note = f"ingestion API on 127.0.0.1:{server.port}"
        return f"{note} ({self.token.warning})" if self.token.warning else note

    def _listen_failed(self, e: BaseException) -> None:
        self.window.notify(f"ingestion API off: {e}")

    def _maybe_start_demo(self, state: str, _detail: str) -> None:
        if not self.args.demo or self.player is not None or state == "loading":
            return
        speed = self.args.speed if self.args.speed is not None else self.settings["demo.speed"]
        self.player = DemoPlayer(speed)
        self.player.message.connect(self.controller.receive)
        self.player.start()

    def _finish(self) -> None:
        if self.args.screenshot:
            target: QWidget = self.window
            if self.window.compact.isVisible():
                target = self.window.compact
            elif self.window.settings_dialog is not None:
                target = self.window.settings_dialog
            if not target.grab().save(self.args.screenshot):
                print(f"assist app: could not write {self.args.screenshot}", file=sys.stderr)
                self.qapp.exit(1)
                return
        self.qapp.exit(0)

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()
        if self.server is not None:
            self.server.stop()
        self.controller.shutdown()


def run(args: argparse.Namespace) -> int:
    logging.getLogger(__name__).info("Assist %s starting; log %s", __version__, setup_logging())
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("Assist")
    qapp.setApplicationDisplayName("Assist")
    app = App(args, qapp)
    app.start()
    try:
        return qapp.exec()
    finally:
        app.stop()
        # Tear the widgets down while Python is still whole: left to interpreter exit, the
        # collector can meet half-destroyed Qt wrappers and abort the process.
        app.window.compact.deleteLater()
        app.window.deleteLater()
        del app
        qapp.processEvents()
        qapp.shutdown()
