"""The centre pane: the conversation as bubbles, and the composer where replies are finished.

Customer bubbles carry their intent chip and a sentiment dot; extracted entities (order ids,
names, amounts...) are highlighted in the text so the agent sees what the assistant picked up.
The composer is plain text: what the agent sends is exactly what they see.

Each conversation keeps its own page of bubbles (only new turns are added), so switching
between chats is a page flip, not a rebuild. Bubbles paint their own rounded background: a
style sheet on the pane would route every widget under it (scroll bars included) through Qt's
slow style-sheet style, which was a third of each repaint.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from assist.desk import ConversationSnapshot, TurnView
from ui.theme import bubble_colours
from ui.widgets import Chip, Dot, bold, intent_colour, marked, pretty


def highlighted(turn: TurnView, entity_bg: str) -> str:
    """The message as HTML with its entities marked (spans come from the analysis)."""
    entities = turn.analysis.entities if turn.analysis else ()
    return marked(turn.message.text, [(e.start, e.end, e.type) for e in entities], entity_bg)


class Bubble(QFrame):
    colours: dict[str, str] = bubble_colours(False)  # the theme's, set by Transcript

    def __init__(self, turn: TurnView, entity_bg: str, parent: QWidget | None = None):
        super().__init__(parent)
        role = self.role = turn.message.role
        self.setObjectName(f"{role}Bubble")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        body = QLabel(highlighted(turn, entity_bg))
        body.setTextFormat(Qt.TextFormat.RichText)
        body.setWordWrap(True)
        body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        body.setAccessibleName(f"{role} message")
        meta = QHBoxLayout()
        stamp = QLabel(turn.message.ts.strftime("%H:%M") if turn.message.ts else "")
        stamp.setEnabled(False)
        meta.addWidget(stamp)
        if turn.analysis is not None:
            a = turn.analysis
            dot = Dot()
            dot.set(a.sentiment.label, a.sentiment.score)
            meta.addWidget(dot)
            meta.addWidget(Chip(pretty(a.intent.label), intent_colour(a.intent.label)))
        meta.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(10, 6, 10, 6)
        box.addWidget(body)
        box.addLayout(meta)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(self.colours.get(self.role, self.colours["customer"])))
        p.drawRoundedRect(self.rect(), 10, 10)


class Page(QScrollArea):
    """One conversation's bubbles, appended turn by turn."""

    def __init__(self) -> None:
        super().__init__()
        self.drawn = 0
        inner = QWidget()
        self.rows = QVBoxLayout(inner)
        self.rows.addStretch(1)
        self.setWidgetResizable(True)
        self.setWidget(inner)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName("transcript")

    def add(self, turn: TurnView, entity_bg: str) -> None:
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        if turn.message.role == "agent":
            row.addStretch(1)
        row.addWidget(Bubble(turn, entity_bg), 4)
        if turn.message.role == "customer":
            row.addStretch(1)
        self.rows.insertWidget(self.rows.count() - 1, holder)
        self.drawn += 1


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
        Bubble.colours = bubble_colours(dark)
        self.stack.update()

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
        entity_bg = bubble_colours(self.dark)["entity"]
        added = False
        for turn in snap.turns[page.drawn :]:
            page.add(turn, entity_bg)
            added = True
        self.title.setText(snap.customer_name)
        if self.stack.currentWidget() is not page:
            self.stack.setCurrentWidget(page)
            added = True
        if added:
            bar = page.verticalScrollBar()
            QTimer.singleShot(0, lambda: bar.setValue(bar.maximum()))

    def bubble_count(self) -> int:
        page = self.stack.currentWidget()
        return page.drawn if isinstance(page, Page) else 0
