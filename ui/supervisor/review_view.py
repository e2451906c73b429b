"""One flagged conversation under review: transcript, sentiment timeline, flags, actions, log.

Left: what happened (the sentiment timeline over the transcript, each message with its intent,
sentiment, flags and the suggestions shown for it and what the agent did with them). Right:
what the supervisor does about it (status, assignee, notes) and the conversation's audit log.
Status and assignee apply to the flags selected in the flags table, or to all of them when
none is selected: most conversations have one or two flags, reviewed together.

Every action goes to the store (which audits it) and the view then reloads the conversation,
so the flags, notes and audit log on screen are always what the store holds.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.supervisor.charts import SentimentTimeline
from ui.supervisor.data import SupervisorData
from ui.supervisor.parts import button, fill, muted, table
from ui.supervisor.queue_model import SEVERITY, STATUS, local
from ui.supervisor.records import ReviewData
from ui.supervisor.review_text import transcript_html
from ui.widgets import bold, pretty, section


class ReviewView(QWidget):
    back_requested = Signal()
    changed = Signal(str)  # conversation id: the store changed (the queue should refresh)
    notice = Signal(str)  # a line for the status bar (done, or what went wrong)
    loaded = Signal(object)  # ReviewData, once on screen

    def __init__(self, data: SupervisorData, actor: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.data, self.actor = data, actor
        self.review: ReviewData | None = None
        self.back_btn = button("← Queue  (Esc)", "back to the queue")
        self.title = bold(QLabel(), 1.3)
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        self.timeline = SentimentTimeline()
        self.transcript = QTextBrowser()
        self.transcript.setAccessibleName("transcript")
        self.transcript.setOpenLinks(False)

        headers = ["Reason", "Severity", "Message", "Status", "Assignee"]
        self.flags_table = table("flags", headers, 0)
        self.review_btn = button("Start review", "mark in review")
        self.resolve_btn = button("Resolve", "mark resolved")
        self.reopen_btn = button("Reopen", "reopen")
        self.assign_edit = QLineEdit()
        self.assign_edit.setPlaceholderText("assignee name")
        self.assign_edit.setAccessibleName("assignee")
        self.assign_btn = button("Assign", "assign")
        self.note_edit = QPlainTextEdit()
        self.note_edit.setPlaceholderText("A note for the team (Ctrl+Enter adds it)")
        self.note_edit.setAccessibleName("new note")
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setFixedHeight(self.fontMetrics().height() * 4)
        self.add_note_btn = button("Add note", "add note")
        self.notes = QTextBrowser()
        self.notes.setAccessibleName("notes")
        self.audit_table = table("audit log", ["When", "Who", "Action", "Detail"], 3)

        head = QHBoxLayout()
        head.addWidget(self.back_btn)
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.addWidget(bold(QLabel("Customer sentiment  (⚑ flagged message)")))
        lbox.addWidget(self.timeline)
        lbox.addWidget(self.transcript, 1)
        status_row = QHBoxLayout()
        for b in (self.review_btn, self.resolve_btn, self.reopen_btn):
            status_row.addWidget(b)
        status_row.addStretch(1)
        assign_row = QHBoxLayout()
        assign_row.addWidget(self.assign_edit, 1)
        assign_row.addWidget(self.assign_btn)
        flags_box = QVBoxLayout()
        flags_box.addWidget(self.flags_table)
        hint = muted(QLabel("Actions apply to the selected flags, or to all of them."))
        hint.setWordWrap(True)
        flags_box.addWidget(hint)
        flags_box.addLayout(status_row)
        flags_box.addLayout(assign_row)
        notes_box = QVBoxLayout()
        notes_box.addWidget(self.notes, 1)
        notes_box.addWidget(self.note_edit)
        add_row = QHBoxLayout()
        add_row.addStretch(1)
        add_row.addWidget(self.add_note_btn)
        notes_box.addLayout(add_row)
        audit_box = QVBoxLayout()
        audit_box.addWidget(self.audit_table)
        right = QSplitter(Qt.Orientation.Vertical)
        right.setChildrenCollapsible(False)
        for title, body in (("Flags", flags_box), ("Notes", notes_box), ("Audit log", audit_box)):
            right.addWidget(section(title, body))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 4)
        split.setChildrenCollapsible(False)
        box = QVBoxLayout(self)
        box.addLayout(head)
        box.addWidget(split, 1)

        self.back_btn.clicked.connect(self.back_requested)
        self.review_btn.clicked.connect(lambda: self.set_status("in_review"))
        self.resolve_btn.clicked.connect(lambda: self.set_status("resolved"))
        self.reopen_btn.clicked.connect(lambda: self.set_status("open"))
        self.assign_btn.clicked.connect(self.assign)
        self.assign_edit.returnPressed.connect(self.assign)
        self.add_note_btn.clicked.connect(self.add_note)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            sc = QShortcut(QKeySequence(keys), self.note_edit)
            sc.setContext(Qt.ShortcutContext.WidgetShortcut)
            sc.activated.connect(self.add_note)
        self._enable(False)

    # -- loading -------------------------------------------------------------------------

    def open(self, cid: str) -> None:
        if self.review is None or self.review.conversation_id != cid:
            self.review = None
            self.title.setText("loading…")
            self.subtitle.clear()
            self.transcript.clear()
            self._enable(False)
        self.data.review(cid, self.show_review, self._failed)

    def reload(self) -> None:
        if self.review is not None:
            self.open(self.review.conversation_id)

    def show_review(self, r: ReviewData) -> None:
        self.review = r
        self.title.setText(f"{r.customer} — agent {r.agent or 'unknown'}")
        status = STATUS.get(r.status or "", "not flagged")
        intent = pretty(r.intent) if r.intent else "no intent"
        self.subtitle.setText(
            f"{intent}  ·  started {local(r.started_at)}  ·  {len(r.lines)} messages  ·  "
            f"review: {status}"
        )
        self.timeline.set(
            [(m.index, m.score) for m in r.lines if m.role == "customer" and m.score is not None],
            {f.message_index for f in r.flags if f.message_index is not None},
            max((m.index for m in r.lines), default=-1) + 1,
        )
        self._render_transcript()
        selected = set(self.selected_flag_ids())
        fill(
            self.flags_table,
            [
                [
                    pretty(f.reason) + (f" — {f.note}" if f.note else ""),
                    SEVERITY.get(f.severity, str(f.severity)),
                    f"#{f.message_index + 1}" if f.message_index is not None else "—",
                    STATUS.get(f.status, f.status),
                    f.assignee or "—",
                ]
                for f in r.flags
            ],
        )
        for n, f in enumerate(r.flags):
            if f.id in selected:
                self.flags_table.selectRow(n)
        notes = [
            f"<p><b>{_e(n.author)}</b> · {_e(local(n.created_at))}<br>{_e(n.text)}</p>"
            for n in r.notes
        ]
        self.notes.setHtml("".join(notes) or "<p><i>No notes yet.</i></p>")
        fill(
            self.audit_table,
            [[local(a.at), a.actor, a.action, a.detail] for a in r.audit],
        )
        self.audit_table.scrollToBottom()
        self._enable(bool(r.flags), notes=True)
        self.loaded.emit(r)

    def _render_transcript(self) -> None:
        if self.review is None:
            return
        top = self.transcript.verticalScrollBar().value()
        r = self.review
        self.transcript.setHtml(transcript_html(r.lines, r.flags, self.palette()))
        self.transcript.verticalScrollBar().setValue(top)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        """Light/dark switched: the transcript's colours are baked into its HTML."""
        if event.type() == QEvent.Type.PaletteChange:
            self._render_transcript()
        super().changeEvent(event)

    def _enable(self, flags: bool, notes: bool = False) -> None:
        for w in (self.review_btn, self.resolve_btn, self.reopen_btn, self.assign_btn):
            w.setEnabled(flags)
        self.add_note_btn.setEnabled(notes)

    def _failed(self, e: BaseException) -> None:
        self.notice.emit(f"review: {e}")

    # -- actions -------------------------------------------------------------------------

    def selected_flag_ids(self) -> list[str]:
        if self.review is None:
            return []
        rows = sorted({i.row() for i in self.flags_table.selectionModel().selectedRows()})
        return [self.review.flags[r].id for r in rows if r < len(self.review.flags)]

    def _targets(self) -> list[str]:
        if self.review is None:
            return []
        return self.selected_flag_ids() or [f.id for f in self.review.flags]

    def _done(self, what: str) -> Callable[[Any], None]:
        def done(_: Any) -> None:
            self.notice.emit(what)
            if self.review is not None:
                self.changed.emit(self.review.conversation_id)
            self.reload()

        return done

    def set_status(self, status: str) -> None:
        targets = self._targets()
        if targets:
            word = STATUS.get(status, status)
            done = self._done(f"{len(targets)} flag(s) marked {word}")
            self.data.set_status(targets, status, self.actor, done, self._failed)

    def assign(self) -> None:
        targets = self._targets()
        name = self.assign_edit.text().strip() or None
        if targets:
            done = self._done(f"assigned to {name}" if name else "unassigned")
            self.data.assign(targets, name, self.actor, done, self._failed)

    def add_note(self) -> None:
        text = self.note_edit.toPlainText().strip()
        if self.review is None or not text:
            return
        self.note_edit.clear()
        cid = self.review.conversation_id
        self.data.add_note(cid, text, self.actor, self._done("note added"), self._failed)


def _e(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
