"""A suggestion card: the text, where it came from, and Accept / Edit / Reject.

Cards are slots that keep their place: the retrieval ones fill at once, the generated one
streams into its card token by token, and a new customer message clears them. The card only
emits signals; the window decides what accepting means (composer, clipboard, feedback).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from assist.events import GenerationDone
from assist.store import REJECT_REASONS
from assist.types import Suggestion
from ui.widgets import Chip

FLUSH_MS = 60
SOURCE_LABEL = {"macro": "macro", "generated": "draft", "remote": "remote draft"}
REASON_LABEL = {
    "wrong_intent": "Wrong intent",
    "wrong_facts": "Wrong facts",
    "tone": "Tone",
    "other": "Other",
}


def draft_notice(done: GenerationDone) -> str:
    """The status-bar line for a finished draft: who wrote it, how fast, what was hidden."""
    remote = done.suggestion.source == "remote"
    parts = [f"{'remote draft' if remote else 'draft'}: first words {done.first_token_ms:.0f} ms"]
    if not remote:
        parts.append(f"{done.tokens_per_s:.0f} tok/s")
    if done.redacted:
        parts.append(f"{done.redacted} private value(s) hidden from the server")
    text = ", ".join(parts)
    return f"{done.fallback}. {text}" if done.fallback else text


class SuggestionCard(QFrame):
    accept_clicked = Signal(int)
    edit_clicked = Signal(int)
    reject_clicked = Signal(int, str)  # card number, reason
    citation_clicked = Signal(str, int, int)  # source id, start, end of the answering sentence

    def __init__(self, number: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.number = number
        self.suggestion: Suggestion | None = None
        self.streaming = False
        self.stream_owner: object = None
        self._pending = ""  # streamed text not painted yet
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(FLUSH_MS)
        self._flush.timeout.connect(self._flush_pending)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("card")
        self.setAccessibleName(f"suggestion {number}")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self.key = QLabel(f"Ctrl+{number}")
        self.key.setEnabled(False)
        self.source = Chip()
        self.title = QLabel()
        self.title.setEnabled(False)
        head = QHBoxLayout()
        head.addWidget(self.source)
        head.addWidget(self.title, 1)
        head.addWidget(self.key)

        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setAccessibleName(f"suggestion {number} text")
        # the citation sits in the button row, always there (empty when none): showing and
        # hiding a label re-polishes and re-lays out the panel, ~8 ms a card on 2 cores
        self.cite = QLabel()
        self.cite.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.cite.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.cite.linkActivated.connect(self._open_citation)

        self.accept_btn = QPushButton("Accept")
        self.accept_btn.setAccessibleName(f"accept suggestion {number}")
        self.accept_btn.clicked.connect(lambda: self.accept_clicked.emit(self.number))
        self.edit_btn = QPushButton("Edit")
        self.edit_btn.setAccessibleName(f"edit suggestion {number}")
        self.edit_btn.clicked.connect(lambda: self.edit_clicked.emit(self.number))
        self.reject_btn = QPushButton("Reject")
        self.reject_btn.setAccessibleName(f"reject suggestion {number}")
        menu = QMenu(self.reject_btn)
        for reason in REJECT_REASONS:
            action = menu.addAction(REASON_LABEL.get(reason, reason))
            action.triggered.connect(lambda _=False, r=reason: self.reject_clicked.emit(number, r))
        self.reject_btn.setMenu(menu)
        buttons = QHBoxLayout()
        for b in (self.accept_btn, self.edit_btn, self.reject_btn):
            buttons.addWidget(b)
        buttons.addWidget(self.cite, 1)

        box = QVBoxLayout(self)
        box.setContentsMargins(8, 6, 8, 6)
        box.addLayout(head)
        box.addWidget(self.text)
        box.addLayout(buttons)
        self.clear()

    def clear(self, placeholder: str = "") -> None:
        if self.suggestion is None and not self.streaming and self.text.text() == placeholder:
            return  # already so: re-rendering must not cost a re-layout
        self.suggestion = None
        self.streaming = False
        self.stream_owner = None
        self._pending = ""
        self.source.set("")
        self.title.setText("")
        self.text.setText(placeholder)
        self.text.setEnabled(not placeholder)
        self.cite.setText("")
        self.cite.setToolTip("")
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for b in (self.accept_btn, self.edit_btn, self.reject_btn):
            b.setEnabled(on)

    def show_suggestion(self, suggestion: Suggestion, title: str = "") -> None:
        if suggestion is self.suggestion and not self.streaming:
            return
        self.suggestion = suggestion
        self.streaming = False
        self.stream_owner = None
        self._pending = ""
        self.source.set(SOURCE_LABEL.get(suggestion.source, suggestion.source), "#4f6d8f")
        self.title.setText(title)
        self.text.setEnabled(True)
        self.text.setText(suggestion.text)
        if suggestion.citations:
            c = suggestion.citations[0]
            link = f'<a href="{c.source_id}|{c.start}|{c.end}">{c.title}</a>'
            self.cite.setText(f"↳ {link}")
            self.cite.setToolTip(f"Cites the knowledge-base article “{c.title}” — click to open it")
        else:
            self.cite.setText("")
            self.cite.setToolTip("")
        self._enable(True)

    def start_stream(self, owner: object = None, source: str = "generated") -> None:
        """Become the card a draft streams into; ``owner`` says whose draft (a re-render
        for the same owner keeps what has streamed so far), ``source`` who writes it."""
        self.suggestion = None
        self.streaming = True
        self.stream_owner = owner
        self._pending = ""
        self.source.set(SOURCE_LABEL.get(source, source), "#6c55b5")
        self.title.setText("writing…")
        self.text.setEnabled(True)
        self.text.setText("")
        self.cite.setText("")
        self._enable(False)

    def append(self, chunk: str) -> None:
        """Add streamed text. Chunks are painted together every FLUSH_MS: each setText on a
        wrapping label re-lays out the whole panel, too slow to do per token on 2 cores."""
        self._pending += chunk
        if not self._flush.isActive():
            self._flush.start()

    def _flush_pending(self) -> None:
        if self._pending and self.streaming:
            self.text.setText(self.text.text() + self._pending)
        self._pending = ""

    def _open_citation(self, href: str) -> None:
        source, start, end = href.rsplit("|", 2)
        self.citation_clicked.emit(source, int(start), int(end))
