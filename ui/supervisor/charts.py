"""Two painted charts: a conversation's sentiment timeline and a horizontal bar chart.

Why painted rather than QtCharts: a timeline of a dozen points and a bar per intent need
no chart engine, and painting them from the palette and font metrics keeps them in the app's
light/dark theme and readable at 125-200% scaling (every size follows the font).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui.theme import FLAG, SENTIMENT, mood


class SentimentTimeline(QWidget):
    """Customer sentiment (-1..1) per message index, with the flagged messages marked.

    The x axis is the message index over the whole conversation (agent turns included), so a
    flag on an agent's reply (e.g. personal data in it) sits where it happened.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.points: list[tuple[int, float]] = []
        self.flagged: set[int] = set()
        self.length = 0
        self.setAccessibleName("sentiment timeline")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() * 7)

    def set(self, points: list[tuple[int, float]], flagged: set[int], length: int) -> None:
        self.points, self.flagged, self.length = points, flagged, length
        text = ", ".join(f"message {i + 1}: {v:+.2f}" for i, v in points)
        self.setAccessibleDescription(f"customer sentiment by message: {text or 'none'}")
        self.setToolTip(" → ".join(f"{v:+.2f}" for _, v in points))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(self.fontMetrics().horizontalAdvance("m") * 40, self.height())

    def paintEvent(self, event: object) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal, fm = self.palette(), self.fontMetrics()
        left = fm.horizontalAdvance("−1.0") + 8
        top, bottom = fm.height() // 2 + 2, fm.height() + 6
        plot = QRectF(left, top, self.width() - left - 10, self.height() - top - bottom)
        muted = pal.placeholderText().color()

        def y(v: float) -> float:
            return plot.center().y() - max(-1.0, min(1.0, v)) * plot.height() / 2

        span = max(1, self.length - 1)

        def x(i: int) -> float:
            return plot.left() + plot.width() * i / span

        for v, label in ((1.0, "+1"), (0.0, "0"), (-1.0, "−1")):
            style = Qt.PenStyle.DashLine if v == 0 else Qt.PenStyle.DotLine
            p.setPen(QPen(pal.mid().color(), 1, style))
            p.drawLine(QPointF(plot.left(), y(v)), QPointF(plot.right(), y(v)))
            p.setPen(muted)
            box = QRectF(0, y(v) - fm.height() / 2, left - 6, fm.height())
            p.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        for i in sorted(self.flagged):  # a flag: an amber tick and triangle above the plot
            p.setPen(QPen(QColor(FLAG), 1.5, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x(i), plot.top()), QPointF(x(i), plot.bottom()))
            s = fm.height() / 3
            tri = QPolygonF(
                [QPointF(x(i) - s, plot.top() - s), QPointF(x(i) + s, plot.top() - s)]
                + [QPointF(x(i), plot.top() + s / 2)]
            )
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(FLAG))
            p.drawPolygon(tri)
        p.setPen(muted)
        for i in {0, self.length - 1} if self.length else ():
            box = QRectF(x(i) - 40, plot.bottom() + 4, 80, fm.height())
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, f"#{i + 1}")
        if not self.points:
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "no customer sentiment recorded")
            return
        path = QPainterPath(QPointF(x(self.points[0][0]), y(self.points[0][1])))
        for i, v in self.points[1:]:
            path.lineTo(QPointF(x(i), y(v)))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(pal.text().color(), 1.5))
        p.drawPath(path)
        r = fm.height() / 4
        for i, v in self.points:
            p.setPen(QPen(pal.base().color(), 1.5))
            p.setBrush(QColor(SENTIMENT[mood(v)]))
            p.drawEllipse(QPointF(x(i), y(v)), r, r)


class BarChart(QWidget):
    """Horizontal bars, one per label, for values in 0..1 (rates), with the value written at
    the end of each bar; ``None`` values (nothing to measure) show a dash and no bar."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.items: list[tuple[str, float | None]] = []
        self.setAccessibleName(title)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._fit()

    def _row(self) -> int:
        return self.fontMetrics().height() + 8

    def _fit(self) -> None:
        self.setFixedHeight(self._row() * (len(self.items) + 1) + 8)

    def set(self, items: list[tuple[str, float | None]]) -> None:
        self.items = items
        self.setAccessibleDescription(
            "; ".join(f"{k}: {'—' if v is None else f'{v:.0%}'}" for k, v in items) or "no data"
        )
        self._fit()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(self.fontMetrics().horizontalAdvance("m") * 36, self.height())

    def paintEvent(self, event: object) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal, fm, row = self.palette(), self.fontMetrics(), self._row()
        font = p.font()
        font.setBold(True)
        p.setFont(font)
        p.setPen(pal.windowText().color())
        p.drawText(QRectF(0, 0, self.width(), row), Qt.AlignmentFlag.AlignVCenter, self.title)
        p.setFont(self.font())
        if not self.items:
            p.setPen(pal.placeholderText().color())
            p.drawText(QRectF(0, row, self.width(), row), Qt.AlignmentFlag.AlignVCenter, "no data")
            return
        label_w = min(max(fm.horizontalAdvance(k) for k, _ in self.items) + 12, self.width() // 3)
        value_w = fm.horizontalAdvance("100%") + 10
        bar_w = max(10, self.width() - label_w - value_w)
        for n, (label, value) in enumerate(self.items, start=1):
            top = n * row
            p.setPen(pal.windowText().color())
            name = fm.elidedText(label, Qt.TextElideMode.ElideRight, label_w - 12)
            align = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
            p.drawText(QRectF(0, top, label_w - 8, row), align, name)
            track = QRectF(label_w, top + 4, bar_w, row - 8)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(pal.alternateBase())
            p.drawRoundedRect(track, 3, 3)
            text = "—"
            if value is not None:
                fill = QRectF(track.left(), track.top(), track.width() * max(0, min(1, value)), 0)
                fill.setHeight(track.height())
                p.setBrush(pal.highlight())
                p.drawRoundedRect(fill, 3, 3)
                text = f"{value:.0%}"
            p.setPen(pal.windowText().color())
            box = QRectF(track.right() + 6, top, value_w, row)
            p.drawText(box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
