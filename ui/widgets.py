"""Small display pieces shared by the list, the transcript and the assist panel."""

from __future__ import annotations

import html

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QLabel, QLayout, QSizePolicy, QVBoxLayout, QWidget

from ui.theme import SENTIMENT, mood


def bold(label: QLabel, scale: float = 1.0) -> QLabel:
    """Bold (and optionally larger) through the font, not a style sheet: rows are created
    often and style sheets are slow to apply."""
    font = label.font()
    font.setBold(True)
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    return label


def section(title: str, body: QLayout) -> QWidget:
    """A titled block of the assist panel: a bold heading over its content, no frame.
    (Fusion's group-box frame is an antialiased path, ~1.2 ms a repaint per box, repainted
    with every streamed card; flat headings also read better in the narrow compact mode.)"""
    block = QWidget()
    block.setAccessibleName(title)
    box = QVBoxLayout(block)
    box.setContentsMargins(0, 4, 0, 4)
    box.addWidget(bold(QLabel(title)))
    box.addLayout(body)
    return block


def marked(text: str, spans: list[tuple[int, int, str]], background: str) -> str:
    """``text`` as HTML with each (start, end, title) span highlighted; overlapping or
    out-of-range spans are skipped. Used for entities in bubbles and a citation's sentence."""
    out, pos = [], 0
    for start, end, title in sorted(spans):
        if start < pos or end > len(text):
            continue
        tip = f' title="{html.escape(title)}"' if title else ""
        out.append(html.escape(text[pos:start]))
        out.append(
            f'<span style="background:{background}"{tip}>{html.escape(text[start:end])}</span>'
        )
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def pretty(label: str) -> str:
    """``track_order`` -> ``track order`` (chips and bars show words, not identifiers)."""
    return label.replace("_", " ")


class Chip(QWidget):
    """A rounded label: intent names, sources, unread counts.

    Painted by hand rather than styled: the list and the cards re-colour chips all the time,
    and a style sheet per chip (or show/hide churn) cost ~2 ms each on 2 cores. An empty chip
    takes no room but stays "shown", so filling it again needs no re-layout of its parent.
    """

    def __init__(self, text: str = "", colour: str = "#5b6b82", parent: QWidget | None = None):
        super().__init__(parent)
        self._text = ""
        self._colour = QColor(colour)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.set(text, colour)

    def text(self) -> str:
        return self._text

    def set(self, text: str, colour: str = "#5b6b82") -> None:
        if text == self._text and QColor(colour) == self._colour:
            return
        resized = len(text) != len(self._text) or not text or not self._text
        self._text, self._colour = text, QColor(colour)
        self.setAccessibleName(text)
        if resized:
            self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        if not self._text:
            return QSize(0, 0)
        m = self.fontMetrics()
        return QSize(m.horizontalAdvance(self._text) + 14, m.height() + 2)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.sizeHint()

    def paintEvent(self, event: object) -> None:  # noqa: N802
        if not self._text:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._colour)
        r = self.rect()
        p.drawRoundedRect(r, r.height() / 2, r.height() / 2)
        p.setPen(QColor("white"))
        elided = self.fontMetrics().elidedText(
            self._text, Qt.TextElideMode.ElideRight, r.width() - 10
        )
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, elided)


class Bar(QWidget):
    """A confidence bar with its percentage: painted, so updating it costs no style work
    (QProgressBar took ~3 ms per ``setValue`` here)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._value = 0
        self.setMinimumSize(QSize(80, self.fontMetrics().height() + 4))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def value(self) -> int:
        return self._value

    def setValue(self, value: int) -> None:  # noqa: N802 (QProgressBar's name)
        value = max(0, min(100, int(value)))
        if value != self._value:
            self._value = value
            self.setAccessibleDescription(f"{value}%")
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(160, self.fontMetrics().height() + 4)

    def paintEvent(self, event: object) -> None:  # noqa: N802
        p = QPainter(self)
        r = self.rect().adjusted(0, 1, -1, -1)
        pal = self.palette()
        p.setPen(pal.mid().color())
        p.setBrush(pal.base())
        p.drawRect(r)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(pal.highlight())
        fill = r.adjusted(1, 1, -(r.width() - 1) * (100 - self._value) // 100, 0)
        p.drawRect(fill)
        label = f"{self._value}%"
        p.setPen(pal.text().color())
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, label)
        p.setClipRect(fill)  # the part of the label over the fill, in the fill's text colour
        p.setPen(pal.highlightedText().color())
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, label)


def intent_colour(label: str) -> str:
    if label == "other":
        return "#7a808a"
    if label in ("complaint", "contact_human_agent"):
        return "#c0392b"
    palette = ("#3b6fb6", "#2b8a8a", "#6c55b5", "#b5651d", "#3f8f3f", "#a0417a", "#4f6d8f")
    return palette[sum(map(ord, label)) % len(palette)]


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
        colour = SENTIMENT[mood(last)]
        path = QPainterPath(point(0, self.values[0]))
        for i, v in enumerate(self.values[1:], start=1):
            path.lineTo(point(i, v))
        p.setPen(QPen(QColor(colour), 2))
        p.drawPath(path)
        p.setBrush(QColor(colour))
        p.drawEllipse(point(n - 1, last), 3, 3)
