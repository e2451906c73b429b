"""Fusion, with flat scroll bars that are cheap to paint.

Why: Fusion draws a scroll bar's groove and handle with gradients on every paint, 1.4 ms for
one 800 px bar on a quiet core and 5-14 ms while a draft is being decoded beside it (measured
with the offscreen backing store). The panel's bar repaints whenever a streamed card grows, so
it was the largest single piece of the window's repaint. The flat bar (a tinted groove, a
rounded handle, Fusion's own arrow glyphs) paints in about a tenth of that and matches the
app's flat sections. Geometry, hit-testing and everything else stay Fusion's.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QStyleOptionComplex,
    QStyleOptionSlider,
    QWidget,
)

SC = QStyle.SubControl
_ARROWS = (
    (SC.SC_ScrollBarSubLine, QStyle.PrimitiveElement.PE_IndicatorArrowUp),
    (SC.SC_ScrollBarAddLine, QStyle.PrimitiveElement.PE_IndicatorArrowDown),
)
_SIDEWAYS = {
    QStyle.PrimitiveElement.PE_IndicatorArrowUp: QStyle.PrimitiveElement.PE_IndicatorArrowLeft,
    QStyle.PrimitiveElement.PE_IndicatorArrowDown: QStyle.PrimitiveElement.PE_IndicatorArrowRight,
}


class AssistStyle(QProxyStyle):
    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def drawComplexControl(  # noqa: N802 (Qt's name)
        self,
        control: QStyle.ComplexControl,
        option: QStyleOptionComplex,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        scroll_bar = control == QStyle.ComplexControl.CC_ScrollBar
        if scroll_bar and isinstance(option, QStyleOptionSlider) and widget is not None:
            self._scroll_bar(option, painter, widget)
            return
        super().drawComplexControl(control, option, painter, widget)

    def _scroll_bar(self, opt: QStyleOptionSlider, p: QPainter, widget: QWidget) -> None:
        pal = opt.palette
        dark = pal.color(QPalette.ColorRole.Window).lightness() < 128
        p.fillRect(opt.rect, pal.color(QPalette.ColorRole.Window))
        cc = QStyle.ComplexControl.CC_ScrollBar
        handle = self.subControlRect(cc, opt, SC.SC_ScrollBarSlider, widget)
        if handle.isValid() and opt.maximum > opt.minimum:
            colour = QColor(pal.color(QPalette.ColorRole.Mid))
            colour = colour.lighter(150) if dark else colour.darker(115)
            if opt.activeSubControls & SC.SC_ScrollBarSlider:
                colour = pal.color(QPalette.ColorRole.Highlight)
            p.save()
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            r = QRect(handle).adjusted(3, 2, -3, -2)
            if opt.orientation == Qt.Orientation.Horizontal:
                r = QRect(handle).adjusted(2, 3, -2, -3)
            radius = min(r.width(), r.height()) / 2
            p.drawRoundedRect(r, radius, radius)
            p.restore()
        for sub, arrow in _ARROWS:
            rect = self.subControlRect(cc, opt, sub, widget)
            if not rect.isValid():
                continue
            glyph = QStyleOption()
            glyph.initFrom(widget)
            glyph.rect = rect.adjusted(3, 3, -3, -3)
            glyph.palette = pal
            glyph.state = opt.state
            if opt.orientation == Qt.Orientation.Horizontal:
                arrow = _SIDEWAYS[arrow]
            self.drawPrimitive(arrow, glyph, p, widget)
