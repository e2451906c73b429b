"""Light and dark palettes, and the few colours that carry meaning (sentiment, intent chips).

Why Fusion with our own palette: the platform styles ignore palette changes on some systems,
so "dark" would not be dark everywhere (``ui.style``: Fusion with cheaper scroll bars).
``system`` follows the OS colour scheme (Qt 6.5+ ``QStyleHints.colorScheme``). Sizes are left
to the font and layouts so 125-200% scaling stays readable.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from ui.style import AssistStyle

SENTIMENT = {"negative": "#d64545", "neutral": "#8a8f98", "positive": "#2f9e5a"}
FLAG = "#e08a00"


def mood(score: float) -> str:
    """The sentiment word for a score or trend in [-1, 1] (the list badge, the sparkline)."""
    return "negative" if score < -0.15 else "positive" if score > 0.15 else "neutral"


def is_dark(theme: str) -> bool:
    if theme in ("light", "dark"):
        return theme == "dark"
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def apply(app: QApplication, theme: str) -> bool:
    """Set the palette for ``theme`` (system / light / dark); returns True when dark."""
    if not isinstance(app.style(), AssistStyle):
        app.setStyle(AssistStyle())
    dark = is_dark(theme)
    p = QPalette()
    if dark:
        base, window, text = QColor("#1e2126"), QColor("#262a30"), QColor("#e6e8eb")
        p.setColor(QPalette.ColorRole.AlternateBase, QColor("#2c3138"))
        p.setColor(QPalette.ColorRole.Button, QColor("#30353d"))
        p.setColor(QPalette.ColorRole.Highlight, QColor("#3d7bd9"))
        p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8a8f98"))
        p.setColor(QPalette.ColorRole.Mid, QColor("#3a3f47"))
    else:
        base, window, text = QColor("#ffffff"), QColor("#f3f4f6"), QColor("#1d2127")
        p.setColor(QPalette.ColorRole.AlternateBase, QColor("#eef0f3"))
        p.setColor(QPalette.ColorRole.Button, QColor("#e9ebef"))
        p.setColor(QPalette.ColorRole.Highlight, QColor("#2f6fd0"))
        p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#7a808a"))
        p.setColor(QPalette.ColorRole.Mid, QColor("#d5d8dd"))
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.Base, base)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.ToolTipText,
    ):
        p.setColor(role, text)
    p.setColor(QPalette.ColorRole.ToolTipBase, base)
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    app.setPalette(p)
    app.setProperty("assist_dark", dark)
    return dark


def bubble_colours(dark: bool) -> dict[str, str]:
    """Background of customer / agent bubbles and the entity highlight."""
    if dark:
        return {"customer": "#2f353d", "agent": "#24415f", "entity": "#5a4a12"}
    return {"customer": "#ffffff", "agent": "#dcebff", "entity": "#fff0b3"}
