"""The centre pane: the conversation as bubbles, and the composer where replies are finished.

Customer bubbles carry their intent chip and a sentiment dot; extracted entities (order ids,
names, amounts...) are highlighted in the text so the agent sees what the assistant picked up.
The composer is plain text: what the agent sends is exactly what they see.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from assist.desk import ConversationSnapshot, TurnView
from ui.theme import bubble_colours
from ui.widgets import Chip, Dot, intent_colour, pretty


def highlighted(turn: TurnView, entity_bg: str) -> str:
    """The message as HTML with its entities marked (spans come from the analysis)."""
    text = turn.message.text
    entities = sorted(turn.analysis.entities, key=lambda e: e.start) if turn.analysis else []
    out, pos = [], 0
    for e in entities:
        if e.start < pos or e.end > len(text):
            continue
        out.append(html.escape(text[pos : e.start]))
        out.append(
            f'<span style="background:{entity_bg}" title="{e.type}">'
            f"{html.escape(text[e.start : e.end])}</span>"
        )
        pos = e.end
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


class Bubble(QFrame):
    def __init__(self, turn: TurnView, dark: bool, parent: QWidget | None = None):
        super().__init__(parent)
        colours = bubble_colours(dark)
        role = turn.message.role
        self.setObjectName("bubble")
        self.setStyleSheet(f"QFrame#bubble {{ background: {colours[role]}; border-radius: 10px; }}")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        body = QLabel(highlighted(turn, colours["entity"]))
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


class Transcript(QWidget):
    send_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.dark = False
        self._shown: tuple[str, int] = ("", 0)  # conversation id, turns drawn
        self.title = QLabel("")
        self.title.setStyleSheet("font-weight: bold; font-size: 110%;")
        self._list = QWidget()
        self._rows = QVBoxLayout(self._list)
        self._rows.addStretch(1)
        self.view = QScrollArea()
        self.view.setWidgetResizable(True)
        self.view.setWidget(self._list)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setAccessibleName("transcript")

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
        box.addWidget(self.view, 1)
        box.addLayout(row)

    def _send(self) -> None:
        text = self.composer.toPlainText().strip()
        if text:
            self.send_clicked.emit(text)

    def show_snapshot(self, snap: ConversationSnapshot) -> None:
        """Draw the turns; only the new ones when it is the conversation already shown."""
        cid, drawn = self._shown
        if cid != snap.conversation_id:
            while self._rows.count() > 1:
                item = self._rows.takeAt(0)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.deleteLater()
            drawn = 0
        self.title.setText(snap.customer_name)
        for turn in snap.turns[drawn:]:
            bubble = Bubble(turn, self.dark)
            row = QHBoxLayout()
            if turn.message.role == "agent":
                row.addStretch(1)
            row.addWidget(bubble, 4)
            if turn.message.role == "customer":
                row.addStretch(1)
            holder = QWidget()
            holder.setLayout(row)
            row.setContentsMargins(0, 0, 0, 0)
            self._rows.insertWidget(self._rows.count() - 1, holder)
        self._shown = (snap.conversation_id, len(snap.turns))
        bar = self.view.verticalScrollBar()
        QTimer.singleShot(0, lambda: bar.setValue(bar.maximum()))

    def bubble_count(self) -> int:
        return self._rows.count() - 1
