"""The review queue as a table model, and the delegate that paints flag reasons as chips.

Why a model and a delegate: the queue may hold hundreds of rows; a widget per row (or a chip
widget per reason) would cost a layout and a style pass each. The model holds plain ``Row``
records and the delegate paints the chips straight onto the view, from the font and palette.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ui.supervisor.records import Row
from ui.widgets import pretty

ROW = Qt.ItemDataRole.UserRole  # the Row record itself
# the chips last: the one column of varying width takes the room that is left
COLUMNS = ("Severity", "Customer", "Agent", "Intent", "Age", "Status", "Reasons")
REASONS_COLUMN = COLUMNS.index("Reasons")
SEVERITY = {1: "low", 2: "medium", 3: "high"}
SEVERITY_COLOUR = {1: "#8a8f98", 2: "#e08a00", 3: "#d64545"}
REASON_COLOUR = {
    "negative_trend": "#c0392b",
    "escalation_intent": "#b5651d",
    "abusive": "#8e2a5c",
    "unsure": "#5b6b82",
    "pii_in_reply": "#6c55b5",
    "long_wait": "#2b7a8a",
    "manual": "#3b6fb6",
}
STATUS = {"open": "open", "in_review": "in review", "resolved": "resolved"}
Index = QModelIndex | QPersistentModelIndex


def age_text(seconds: float | None) -> str:
    """``45 s``, ``12 min``, ``3 h``, ``5 d`` (the queue's age column)."""
    if seconds is None:
        return "—"
    s = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s // size} {unit}"
    return f"{s} s"


def local(ts: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return ts.astimezone().strftime(fmt) if ts is not None else "—"


class QueueModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Row] = []

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def append_rows(self, rows: list[Row]) -> None:
        known = {r.conversation_id for r in self.rows}
        new = [r for r in rows if r.conversation_id not in known]
        if not new:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self.rows.extend(new)
        self.endInsertRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt's API)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def text(self, row: Row, column: int) -> str:
        name = COLUMNS[column]
        if name == "Severity":
            return SEVERITY.get(row.severity or 0, "—")
        if name == "Customer":
            return row.customer
        if name == "Agent":
            return row.agent or "—"
        if name == "Intent":
            return pretty(row.intent) if row.intent else "—"
        if name == "Age":
            return age_text(row.age_s)
        if name == "Status":
            return STATUS.get(row.status or "", "—")
        return ", ".join(pretty(r) for r in row.reasons)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.text(row, col)
        if role == ROW:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            if COLUMNS[col] == "Age":
                return f"first flagged {local(row.flagged_at)}"
            return self.text(row, col)
        if role == Qt.ItemDataRole.DecorationRole and COLUMNS[col] == "Severity":
            return QColor(SEVERITY_COLOUR.get(row.severity or 0, "#8a8f98"))
        return None


class ReasonChips(QStyledItemDelegate):
    """Paints a row's flag reasons as rounded chips (the same look as ``ui.widgets.Chip``)."""

    def _chip_font(self, option: QStyleOptionViewItem) -> Any:
        font = option.font
        font.setPointSizeF(font.pointSizeF() * 0.9)
        return font

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        row = index.data(ROW)
        if not isinstance(row, Row):
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self._chip_font(opt))
        fm = painter.fontMetrics()
        rect: QRect = opt.rect
        h = fm.height() + 4
        x, y = rect.left() + 4, rect.top() + (rect.height() - h) // 2
        for reason in row.reasons:
            label = pretty(reason)
            w = fm.horizontalAdvance(label) + 14
            if x + w > rect.right() - 2:
                painter.setPen(opt.palette.text().color())
                painter.drawText(QRect(x, y, 20, h), Qt.AlignmentFlag.AlignVCenter, "…")
                break
            chip = QRect(x, y, w, h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(REASON_COLOUR.get(reason, "#5b6b82")))
            painter.drawRoundedRect(chip, h / 2, h / 2)
            painter.setPen(QColor("white"))
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, label)
            x += w + 4
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        row = index.data(ROW)
        fm = option.fontMetrics
        reasons = row.reasons if isinstance(row, Row) else ()
        width = sum(fm.horizontalAdvance(pretty(r)) + 18 for r in reasons) + 8
        return QSize(width, fm.height() + 10)
