"""The centre pane: the conversation as bubbles, and the composer where replies are finished.

Customer bubbles carry their intent chip and a sentiment dot; extracted entities (order ids,
names, amounts...) are highlighted in the text so the agent sees what the assistant picked up.
The composer is plain text: what the agent sends is exactly what they see.

Each conversation keeps its own page (switching chats is a page flip) and a page is one
read-only rich-text document that new turns are appended to. Why not a widget per bubble:
every added bubble re-laid out the text of all the others (21 ms per message at 40 messages
and growing, measured), where an appended block is laid out alone and only what is visible
is painted; the text also selects and copies across messages like any transcript.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPalette, QTextCursor
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from assist.desk import ConversationSnapshot, TurnView
from ui.theme import SENTIMENT, bubble_colours
from ui.widgets import bold, intent_colour, marked, pretty


def highlighted(turn: TurnView, entity_bg: str) -> str:
    """The message as HTML with its entities marked (spans come from the analysis)."""
    entities = turn.analysis.entities if turn.analysis else ()
    return marked(turn.message.text, [(e.start, e.end, e.type) for e in entities], entity_bg)


def bubble_html(turn: TurnView, colours: dict[str, str]) -> str:
    """One turn as a bubble: a table cell, left for the customer and right for
    the agent, with the time, the sentiment dot and the intent chip under the text."""
    role = turn.message.role
    meta = [turn.message.ts.strftime("%H:%M") if turn.message.ts else ""]
    a = turn.analysis
    if a is not None:
        meta.append(f'<span style="color:{SENTIMENT[a.sentiment.label]}">●</span>')
        meta.append(
            f'<span style="background:{intent_colour(a.intent.label)}; color:#ffffff">'
            f"&nbsp;{html.escape(pretty(a.intent.label))}&nbsp;</span>"
        )
    side = "left" if role == "customer" else "right"
    return (
        f'<table width="80%" align="{side}" cellspacing="0" cellpadding="8" '
        f'bgcolor="{colours[role if role in colours else "customer"]}" style="margin: 4px">'
        f"<tr><td>{highlighted(turn, colours['entity'])}"
        f'<div style="color:#8a8f98; font-size:small">{" &nbsp;".join(meta)}</div>'
        "</td></tr></table>"
    )


class Page(QTextBrowser):
    """One conversation's bubbles, appended turn by turn."""

    def __init__(self) -> None:
        super().__init__()
        self.drawn = 0
        self.shade()
        self.setOpenLinks(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName("transcript")

    def add(self, turn: TurnView, colours: dict[str, str]) -> None:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertHtml(bubble_html(turn, colours))
        self.drawn += 1

    def shade(self) -> None:
        """The page takes the window's colour, so white customer bubbles stand out on it."""
        palette = QApplication.palette()
        palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
        self.setPalette(palette)

    def restart(self) -> None:
        """Forget what is drawn (new colours): the next snapshot draws every turn again."""
        self.shade()
        self.clear()
        self.drawn = 0


class Transcript(QWidget):
    send_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.dark = False
        self.pages: dict[str, Page] = {}
        self.title = bold(QLabel(""), 1.1)
        self.stack = QStackedWidget()
        self.stack.addWidget(QLabel("No conversation yet"))
        self.composer = QPlainTextEdit()
        self.composer.setPlaceholderText("Write a reply, or accept a suggestion (Ctrl+1…3)")
        self.composer.setAccessibleName("reply composer")
        self.composer.setMaximumHeight(120)
        self.send_button = QPushButton("Send && copy")
        self.send_button.setToolTip("Copies the reply to the clipboard and records it (Ctrl+Enter)")
        self.send_button.setAccessibleName("send reply")
        self.send_button.clicked.connect(self._send)
        row = QHBoxLayout()
        row.addWidget(self.composer, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.stack, 1)
        box.addLayout(row)
        self.apply_theme(False)

    def apply_theme(self, dark: bool) -> None:
        self.dark = dark
        self.colours = bubble_colours(dark)
        for page in self.pages.values():
            page.restart()  # redrawn in the new colours when next shown

    def _send(self) -> None:
        text = self.composer.toPlainText().strip()
        if text:
            self.send_clicked.emit(text)

    def show_snapshot(self, snap: ConversationSnapshot) -> None:
        """Show the conversation's page, adding the turns it has not drawn yet."""
        page = self.pages.get(snap.conversation_id)
        if page is None:
            page = self.pages[snap.conversation_id] = Page()
            self.stack.addWidget(page)
        added = False
        for turn in snap.turns[page.drawn :]:
            page.add(turn, self.colours)
            added = True
        self.title.setText(snap.customer_name)
        if self.stack.currentWidget() is not page:
            self.stack.setCurrentWidget(page)
            added = True
        if added:
            # Bound to the scrollbar so Qt drops the timer if the page is
            # deleted first (a window closed in the same event-loop turn).
            bar = page.verticalScrollBar()
            QTimer.singleShot(0, bar, lambda: bar.setValue(bar.maximum()))

    def bubble_count(self) -> int:
        page = self.stack.currentWidget()
        return page.drawn if isinstance(page, Page) else 0
