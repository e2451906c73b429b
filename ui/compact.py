"""Compact "beside" mode: the assist panel alone, narrow and always on top, docked to the
right edge of the screen for agents whose helpdesk fills the screen. It remembers where the
agent put it (``ui.ui_state``)."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui import ui_state

WIDTH = 380


class CompactWindow(QWidget):
    closed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowTitle("Assist — beside")
        self.setAccessibleName("compact assist panel")
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(4, 4, 4, 4)

    def place(self) -> None:
        """Where it was last time, else docked to the right edge of the primary screen."""
        saved = ui_state.load().get("compact_geometry")
        if saved and self.restoreGeometry(ui_state.decode(saved)):
            return
        screen = QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen else QRect(0, 0, 1280, 800)
        self.setGeometry(area.right() - WIDTH + 1, area.top(), WIDTH, area.height())

    def remember(self) -> None:
        state = ui_state.load()
        state["compact_geometry"] = ui_state.encode(self.saveGeometry())
        ui_state.save(state)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.remember()
        self.closed.emit()
        super().closeEvent(event)
