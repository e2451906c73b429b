"""The left pane: the agent's open conversations, most urgent first.

A row shows the customer, how long they have waited for a reply, a flag when a flag rule
(``assist.flags``) or the engine's escalation signal fires, the last message, the intent chip,
a sentiment badge and the unread count. Rows are re-sorted by ``ConversationSnapshot.urgency``
whenever one changes and once a second for the waiting times (a timer in the window calls
``refresh``).

Why a model and a painting delegate rather than a widget per row: the list changes with
every message and every second, and re-laying out (or re-creating, when rows move) a stack
of labels per row was among the longest pauses of the event loop. Painting rows costs
nothing until they are on screen.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from assist.desk import ConversationSnapshot, by_urgency
from ui.theme import FLAG, SENTIMENT, mood
from ui.widgets import intent_colour, pretty

Index = QModelIndex | QPersistentModelIndex
PAD = 6


def waited(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds // 3600)}h"


class Row:
    """What one row draws, computed once per refresh (not per paint)."""

    def __init__(self, snap: ConversationSnapshot, unread: int, now: datetime):
        self.cid = snap.conversation_id
        self.name = snap.customer_name
        last = snap.turns[-1].message if snap.turns else None
        prefix = "You: " if last is not None and last.role == "agent" else ""
        self.last = f"{prefix}{last.text}" if last is not None else ""
        self.wait = f"waiting {waited(snap.waiting_s(now))}" if snap.waiting_since else "answered"
        self.flag = "; ".join(snap.attention)
        self.chips: list[tuple[str, str]] = []
        a = snap.last_analysis
        if a is not None:
            self.chips.append((pretty(a.intent.label), intent_colour(a.intent.label)))
            trend = snap.trend if snap.trend is not None else a.sentiment.score
            word = mood(trend)
            self.chips.append((f"{word} {trend:+.1f}", SENTIMENT[word]))
        self.unread = unread

    def accessible(self) -> str:
        flag = ", flagged" if self.flag else ""
        return f"{self.name}, {self.wait}, {self.unread} unread{flag}: {self.last}"


class ConversationModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt's API)
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return row.cid
        if role == Qt.ItemDataRole.DisplayRole:
            return row.name
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.accessible() if role == Qt.ItemDataRole.AccessibleTextRole else row.last
        return None

    def replace(self, rows: list[Row]) -> None:
        """New contents; a changed length resets, same length repaints in place."""
        if len(rows) != len(self.rows):
            self.beginResetModel()
            self.rows = rows
            self.endResetModel()
            return
        self.rows = rows
        if rows:
            self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))


class RowDelegate(QStyledItemDelegate):
    """Paints a row: name, flag and wait; the last message; intent, mood and unread chips."""

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont, QFont]:
        base = QFont(option.font)
        name = QFont(base)
        name.setBold(True)
        chip = QFont(base)
        chip.setPointSizeF(base.pointSizeF() * 0.85)
        return base, name, chip

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        base, _name, chip = self._fonts(option)
        line = QFontMetrics(base).height()
        return QSize(200, PAD * 2 + line * 2 + QFontMetrics(chip).height() + 6)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        model = index.model()
        assert isinstance(model, ConversationModel)
        row = model.rows[index.row()]
        rect: QRect = option.rect
        pal = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected:
            painter.fillRect(rect, pal.highlight())
        text = pal.highlightedText().color() if selected else pal.text().color()
        dim = text if selected else pal.placeholderText().color()
        base, name_font, chip_font = self._fonts(option)
        fm, cm = QFontMetrics(base), QFontMetrics(chip_font)
        x, y, w = rect.x() + PAD, rect.y() + PAD, rect.width() - 2 * PAD
        line = fm.height()

        painter.setFont(base)
        wait_w = fm.horizontalAdvance(row.wait)
        painter.setPen(dim)
        painter.drawText(
            QRect(x + w - wait_w, y, wait_w, line), Qt.AlignmentFlag.AlignRight, row.wait
        )
        flag_w = fm.horizontalAdvance("⚑ ") if row.flag else 0
        if row.flag:
            painter.setPen(QColor(FLAG))
            painter.drawText(QRect(x + w - wait_w - flag_w, y, flag_w, line), 0, "⚑")
        painter.setFont(name_font)
        painter.setPen(text)
        room = w - wait_w - flag_w - PAD
        name = QFontMetrics(name_font).elidedText(row.name, Qt.TextElideMode.ElideRight, room)
        painter.drawText(QRect(x, y, room, line), 0, name)

        painter.setFont(base)
        painter.setPen(dim)
        last = fm.elidedText(row.last, Qt.TextElideMode.ElideRight, w)
        painter.drawText(QRect(x, y + line, w, line), 0, last)

        painter.setFont(chip_font)
        cy, ch = y + 2 * line + 3, cm.height() + 2
        cx = x
        chips = list(row.chips)
        unread = (f"{row.unread} new", "#2f6fd0") if row.unread else None
        unread_w = cm.horizontalAdvance(unread[0]) + 14 if unread else 0
        for label, colour in chips:
            cw = min(cm.horizontalAdvance(label) + 14, max(0, x + w - unread_w - PAD - cx))
            if cw < 24:
                break
            self._chip(painter, QRect(cx, cy, cw, ch), label, colour, cm)
            cx += cw + 4
        if unread:
            self._chip(painter, QRect(x + w - unread_w, cy, unread_w, ch), *unread, cm)
        painter.restore()

    @staticmethod
    def _chip(p: QPainter, r: QRect, label: str, colour: str, cm: QFontMetrics) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(colour))
        p.drawRoundedRect(r, r.height() / 2, r.height() / 2)
        p.setPen(QColor("white"))
        text = cm.elidedText(label, Qt.TextElideMode.ElideRight, r.width() - 10)
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, text)


class ConversationList(QListView):
    selected = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("conversations")
        self.setMinimumWidth(260)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setUniformItemSizes(True)
        self.model_ = ConversationModel()
        self.setModel(self.model_)
        self.setItemDelegate(RowDelegate(self))
        self.snapshots: dict[str, ConversationSnapshot] = {}
        self.unread: dict[str, int] = {}
        self.current: str | None = None
        self._refreshing = False
        self.selectionModel().currentChanged.connect(self._changed)

    def count(self) -> int:
        return self.model_.rowCount()

    def cid_at(self, row: int) -> str:
        return self.model_.rows[row].cid

    def currentRow(self) -> int:  # noqa: N802 (QListWidget's name, kept for callers)
        return self.currentIndex().row()

    def setCurrentRow(self, row: int) -> None:  # noqa: N802
        self.setCurrentIndex(self.model_.index(row))

    def update_snapshot(self, snap: ConversationSnapshot, new_customer_message: bool) -> None:
        cid = snap.conversation_id
        self.snapshots[cid] = snap
        if new_customer_message and cid != self.current:
            self.unread[cid] = self.unread.get(cid, 0) + 1
        self.refresh()

    def refresh(self, now: datetime | None = None) -> None:
        """Re-draw the rows in urgency order (keeps the selection)."""
        now = now or datetime.now(UTC)
        ordered = by_urgency(list(self.snapshots.values()), now)
        self._refreshing = True
        try:
            self.model_.replace(
                [Row(s, self.unread.get(s.conversation_id, 0), now) for s in ordered]
            )
            for i, snap in enumerate(ordered):
                if snap.conversation_id == self.current and self.currentRow() != i:
                    self.setCurrentRow(i)
        finally:
            self._refreshing = False

    def select(self, cid: str) -> None:
        for i, row in enumerate(self.model_.rows):
            if row.cid == cid:
                self.setCurrentRow(i)
                return

    def _changed(self, index: QModelIndex, _previous: QModelIndex) -> None:
        if self._refreshing or not index.isValid():
            return
        cid = self.model_.rows[index.row()].cid
        if cid == self.current:
            return
        self.current = cid
        self.unread[cid] = 0
        self.refresh()
        self.selected.emit(cid)
