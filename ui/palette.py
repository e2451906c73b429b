"""Ctrl+K: one search box for switching conversation, inserting a macro by name and asking
for a rewrite of the reply being written. Entries are matched with rapidfuzz so typos work."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget
from rapidfuzz import fuzz, process


@dataclass(frozen=True)
class Command:
    kind: str  # "conversation" | "macro" | "rewrite"
    arg: str
    label: str


class CommandPalette(QDialog):
    chosen = Signal(object)  # Command

    def __init__(self, commands: list[Command], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Command palette")
        self.setAccessibleName("command palette")
        self.commands = commands
        self.search = QLineEdit()
        self.search.setPlaceholderText("Go to a chat, insert a macro, rewrite…")
        self.search.setAccessibleName("command search")
        self.results = QListWidget()
        self.results.setAccessibleName("commands")
        box = QVBoxLayout(self)
        box.addWidget(self.search)
        box.addWidget(self.results)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self.run_current)
        self.results.itemActivated.connect(lambda _item: self.run_current())
        self.resize(520, 380)
        self.filter("")

    def filter(self, query: str) -> None:
        self.results.clear()
        if query.strip():
            labels = [c.label for c in self.commands]
            hits = process.extract(query, labels, scorer=fuzz.WRatio, limit=30, score_cutoff=45)
            shown = [self.commands[i] for _label, _score, i in hits]
        else:
            shown = self.commands[:30]
        for cmd in shown:
            item = QListWidgetItem(cmd.label)
            item.setData(Qt.ItemDataRole.UserRole, cmd)
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)

    def keyPressEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        from PySide6.QtGui import QKeyEvent

        if isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            row = max(0, min(self.results.count() - 1, self.results.currentRow() + step))
            self.results.setCurrentRow(row)
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]

    def run_current(self) -> None:
        item = self.results.currentItem()
        if item is None:
            return
        self.chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        self.accept()
