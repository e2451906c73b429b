"""Small display pieces shared by the list, the transcript and the assist panel."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ui.theme import SENTIMENT


def bold(label: QLabel, scale: float = 1.0) -> QLabel:
    """Bold (and optionally larger) through the font, not a style sheet: rows are created
    often and style sheets are slow to apply."""
    font = label.font()
    font.setBold(True)
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    return label


def pretty(label: str) -> str:
    """``track_order`` -> ``track order`` (chips and bars show words, not identifiers)."""
    return label.replace("_", " ")


class Chip(QLabel):
    """A rounded label: intent names, sources, flags."""

    def __init__(self, text: str = "", colour: str = "#5b6b82", parent: QWidget | None = None):
        super().__init__(parent)
        self._colour = ""
        self.set(text, colour)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)

    def set(self, text: str, colour: str = "#5b6b82") -> None:
        self.setText(text)
        if not text:
            self.hide()
        elif self.isHidden() and self.parentWidget() is not None:
            # never show() a parentless chip: it would pop up as a window of its own
            self.show()
        if colour != self._colour:  # style sheets are slow to apply: only on a change
            self._colour = colour
            self.setStyleSheet(
                f"QLabel {{ background: {colour}; color: white; border-radius: 8px;"
                " padding: 1px 7px; font-size: 85%; }"
            )
        self.setAccessibleName(text)


def intent_colour(label: str) -> str:
    if label == "other":
        return "#7a808a"
    if label in ("complaint", "contact_human_agent"):
        return "#c0392b"
    palette = ("#3b6fb6", "#2b8a8a", "#6c55b5", "#b5651d", "#3f8f3f", "#a0417a", "#4f6d8f")
    return palette[sum(map(ord, label)) % len(palette)]


class Dot(QWidget):
    """A sentiment dot (colour by label) with the score as tooltip."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._colour = QColor(SENTIMENT["neutral"])
        self.setFixedSize(QSize(12, 12))

    def set(self, label: str, score: float) -> None:
        self._colour = QColor(SENTIMENT.get(label, SENTIMENT["neutral"]))
        self.setToolTip(f"{label} {score:+.2f}")
        self.setAccessibleName(f"sentiment {label}")
        self.update()

    def paintEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._colour)
        p.drawEllipse(1, 1, self.width() - 2, self.height() - 2)


class Sparkline(QWidget):
    """The conversation's sentiment trend, -1..1, with the zero line."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.values: tuple[float, ...] = ()
        self.setMinimumSize(QSize(120, 36))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("sentiment trend")

    def set(self, values: tuple[float, ...]) -> None:
        self.values = values
        if values:
            self.setToolTip("trend: " + " → ".join(f"{v:+.2f}" for v in values[-6:]))
        self.update()

    def paintEvent(self, event: object) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        mid = h / 2
        p.setPen(QPen(self.palette().mid().color(), 1, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(0, mid), QPointF(w, mid))
        if not self.values:
            return
        n = len(self.values)
        step = (w - 8) / max(1, n - 1)

        def point(i: int, v: float) -> QPointF:
            return QPointF(4 + i * step, mid - max(-1.0, min(1.0, v)) * (h / 2 - 4))

        last = self.values[-1]
        colour = SENTIMENT["negative" if last < -0.15 else "positive" if last > 0.15 else "neutral"]
        path = QPainterPath(point(0, self.values[0]))
        for i, v in enumerate(self.values[1:], start=1):
            path.lineTo(point(i, v))
        p.setPen(QPen(QColor(colour), 2))
        p.drawPath(path)
        p.setBrush(QColor(colour))
        p.drawEllipse(point(n - 1, last), 3, 3)
