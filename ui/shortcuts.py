"""Every keyboard shortcut, declared once: the window binds them and the help overlay lists them,
so the two can never disagree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class Binding:
    name: str  # the window's method that handles it
    keys: str
    doc: str


BINDINGS = (
    Binding("accept_1", "Ctrl+1", "Accept suggestion 1 (into the composer)"),
    Binding("accept_2", "Ctrl+2", "Accept suggestion 2"),
    Binding("accept_3", "Ctrl+3", "Accept suggestion 3"),
    Binding("edit_suggestion", "Ctrl+E", "Edit the first suggestion in the composer"),
    Binding("regenerate", "Ctrl+R", "Regenerate the drafted suggestion"),
    Binding("open_palette", "Ctrl+K", "Command palette: conversations, macros, rewrite"),
    Binding("send", "Ctrl+Return", "Send: copy the reply and record it"),
    Binding("toggle_compact", "Ctrl+Shift+B", "Compact 'beside' mode on / off"),
    Binding("next_conversation", "Ctrl+Down", "Next conversation"),
    Binding("previous_conversation", "Ctrl+Up", "Previous conversation"),
    Binding("flag_conversation", "Ctrl+Shift+F", "Flag this chat for a supervisor (with a note)"),
    Binding("supervisor_mode", "Ctrl+Shift+S", "Supervisor mode: review queue, analytics"),
    Binding("open_settings", "Ctrl+,", "Settings"),
    Binding("show_help", "F1", "This list of shortcuts"),
    Binding("dismiss", "Esc", "Dismiss: clear the composer / close the overlay"),
)


def bind(window: QWidget, handler: Callable[[str], Callable[[], None]]) -> list[QShortcut]:
    """Create a QShortcut per binding for ``window`` (and its children), connected to
    ``handler(name)``. Window-wide, not application-wide: two windows holding the same keys
    would make every shortcut ambiguous, so each top-level window is bound on its own."""
    out = []
    for b in BINDINGS:
        sc = QShortcut(QKeySequence(b.keys), window)
        sc.setContext(Qt.ShortcutContext.WindowShortcut)
        sc.activated.connect(handler(b.name))
        out.append(sc)
    return out


class HelpOverlay(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setAccessibleName("keyboard shortcuts")
        table = QTableWidget(len(BINDINGS), 2)
        table.setHorizontalHeaderLabels(["Keys", "Does"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, b in enumerate(BINDINGS):
            native = QKeySequence(b.keys).toString(QKeySequence.SequenceFormat.NativeText)
            table.setItem(row, 0, QTableWidgetItem(native or b.keys))
            table.setItem(row, 1, QTableWidgetItem(b.doc))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(QLabel("Everything in Assist works from the keyboard:"))
        box.addWidget(table)
        box.addWidget(buttons)
        self.resize(520, 460)
