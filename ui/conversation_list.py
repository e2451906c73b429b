"""The left pane: the agent's open conversations, most urgent first.

A row shows the customer, how long they have waited for a reply, a flag when the engine
signals escalation, the last message, the intent chip, a sentiment badge and the unread
count. Rows are re-sorted by ``ConversationSnapshot.urgency`` whenever one changes and once
a second for the waiting times (a timer in the window calls ``refresh``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from assist.desk import ConversationSnapshot, by_urgency
from ui.theme import FLAG, SENTIMENT
from ui.widgets import Chip, bold, intent_colour, pretty


def waited(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds // 3600)}h"


class ConversationRow(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = bold(QLabel())
        self.name.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.wait = QLabel()
        self.wait.setEnabled(False)
        self._flag_html = f'<span style="color:{FLAG}">⚑</span>'
        self.flag = bold(QLabel())
        self.flag.setAccessibleName("flagged")
        self.last = QLabel()
        self.last.setEnabled(False)
        self.last.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.intent = Chip()
        self.mood = Chip()
        self.unread = Chip()
        top = QHBoxLayout()
        top.addWidget(self.name, 1)
        top.addWidget(self.flag)
        top.addWidget(self.wait)
        chips = QHBoxLayout()
        chips.addWidget(self.intent)
        chips.addWidget(self.mood)
        chips.addStretch(1)
        chips.addWidget(self.unread)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 4, 6, 4)
        box.setSpacing(2)
        box.addLayout(top)
        box.addWidget(self.last)
        box.addLayout(chips)

    def show_snapshot(
        self, snap: ConversationSnapshot, unread: int, now: datetime, width: int
    ) -> None:
        self.name.setText(snap.customer_name)
        last = snap.turns[-1].message if snap.turns else None
        prefix = "You: " if last is not None and last.role == "agent" else ""
        text = f"{prefix}{last.text}" if last is not None else ""
        metrics = self.last.fontMetrics()
        elide = Qt.TextElideMode.ElideRight
        self.last.setText(metrics.elidedText(text, elide, max(60, width - 16)))
        self.last.setToolTip(text)
        seconds = snap.waiting_s(now)
        self.wait.setText(f"waiting {waited(seconds)}" if snap.waiting_since else "answered")
        self.flag.setText(self._flag_html if snap.escalation else "")
        self.flag.setToolTip("; ".join(snap.escalation))
        a = snap.last_analysis
        if a is not None:
            self.intent.set(pretty(a.intent.label), intent_colour(a.intent.label))
            trend = snap.trend if snap.trend is not None else a.sentiment.score
            label = "negative" if trend < -0.15 else "positive" if trend > 0.15 else "neutral"
            self.mood.set(f"{label} {trend:+.1f}", SENTIMENT[label])
            self.mood.setToolTip(f"sentiment trend {trend:+.2f}")
        self.unread.set(f"{unread} new" if unread else "", "#2f6fd0")
        self.setAccessibleName(f"{snap.customer_name}, {unread} unread")


class ConversationList(QListWidget):
    selected = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("conversations")
        self.setMinimumWidth(260)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.snapshots: dict[str, ConversationSnapshot] = {}
        self.unread: dict[str, int] = {}
        self.current: str | None = None
        self._rows: list[tuple[QListWidgetItem, ConversationRow]] = []  # by position
        self.currentItemChanged.connect(self._changed)

    def update_snapshot(self, snap: ConversationSnapshot, new_customer_message: bool) -> None:
        cid = snap.conversation_id
        self.snapshots[cid] = snap
        if new_customer_message and cid != self.current:
            self.unread[cid] = self.unread.get(cid, 0) + 1
        self.refresh()

    def refresh(self, now: datetime | None = None) -> None:
        """Re-draw the rows in urgency order (keeps the selection).

        Rows stay where they are and show whichever conversation now belongs at their
        position: moving item widgets in a QListWidget destroys and rebuilds them, which cost
        more than everything else in a refresh.
        """
        now = now or datetime.now(UTC)
        order = [s.conversation_id for s in by_urgency(list(self.snapshots.values()), now)]
        width = self.viewport().width()
        self.blockSignals(True)
        while len(self._rows) < len(order):
            item, row = QListWidgetItem(), ConversationRow()
            self.addItem(item)
            self.setItemWidget(item, row)
            self._rows.append((item, row))
        for i, cid in enumerate(order):
            item, row = self._rows[i]
            item.setData(Qt.ItemDataRole.UserRole, cid)
            row.show_snapshot(self.snapshots[cid], self.unread.get(cid, 0), now, width)
            item.setSizeHint(QSize(width, row.sizeHint().height()))
            if cid == self.current and self.currentRow() != i:
                self.setCurrentRow(i)
        self.blockSignals(False)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.refresh()

    def select(self, cid: str) -> None:
        for item, _row in self._rows:
            if item.data(Qt.ItemDataRole.UserRole) == cid:
                self.setCurrentItem(item)
                return

    def _changed(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is None:
            return
        cid = item.data(Qt.ItemDataRole.UserRole)
        self.current = cid
        self.unread[cid] = 0
        self.refresh()
        self.selected.emit(cid)
