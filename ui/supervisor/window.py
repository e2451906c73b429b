"""The supervisor window: the review queue (with the review of one chat) and the analytics.

Why its own top-level window: supervisors keep it beside the agent window, or use it alone;
its shortcuts are bound to it (window-wide, like ``ui.shortcuts``), so the two windows never
fight over a key. It opens the team store on the given task runner and closes it when it
closes; every store call goes through ``ui.supervisor.data``.

Keyboard: Ctrl+F search the queue, Enter open the selected chat, Esc back to the queue,
Ctrl+1 / Ctrl+2 queue / analytics, F5 refresh.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
)

from ui.supervisor.analytics_view import AnalyticsView
from ui.supervisor.data import SupervisorData
from ui.supervisor.queue_view import QueueView
from ui.supervisor.review_view import ReviewView
from ui.tasks import TaskRunner

KEYS = (
    ("Ctrl+F", "focus_search", "Search the queue"),
    ("Esc", "back", "Back to the queue"),
    ("Ctrl+1", "show_queue", "Review queue"),
    ("Ctrl+2", "show_analytics", "Analytics"),
    ("F5", "refresh", "Refresh"),
)


class SupervisorWindow(QMainWindow):
    closed = Signal()
    exported = Signal(str, int)  # path, rows written

    def __init__(
        self,
        tasks: TaskRunner,
        store_url: str | None,
        actor: str,
        parent: Any = None,
    ):
        super().__init__(parent)
        self.actor = actor
        self.data = SupervisorData(tasks, store_url)
        self.setWindowTitle(f"Assist — supervisor ({actor})")
        self.setAccessibleName("Assist supervisor window")
        self.queue = QueueView(self.data)
        self.review = ReviewView(self.data, actor)
        self.analytics = AnalyticsView(self.data)
        self.queue_pages = QStackedWidget()
        self.queue_pages.addWidget(self.queue)
        self.queue_pages.addWidget(self.review)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("supervisor views")
        self.tabs.addTab(self.queue_pages, "Review queue")
        self.tabs.addTab(self.analytics, "Analytics")
        self.setCentralWidget(self.tabs)
        self.message = QLabel()
        self.message.setAccessibleName("status message")
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.message, 1)
        self.where = QLabel("connecting…")
        self.statusBar().addPermanentWidget(self.where)
        self.ready = False
        self.shortcuts = []
        for keys, name, doc in KEYS:
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.setWhatsThis(doc)
            sc.activated.connect(getattr(self, name))
            self.shortcuts.append(sc)

        self.queue.open_requested.connect(self.open_review)
        self.queue.notice.connect(self.notify)
        self.review.notice.connect(self.notify)
        self.review.back_requested.connect(self.back)
        self.review.changed.connect(lambda _cid: self._stale())
        self.analytics.notice.connect(self.notify)
        self.analytics.export_requested.connect(self.ask_export)
        self._queue_stale = False
        self.resize(
            self.fontMetrics().horizontalAdvance("m") * 110, self.fontMetrics().height() * 46
        )
        self.data.open(self._opened, self._open_failed)

    # -- start-up ------------------------------------------------------------------------

    def _opened(self, location: str) -> None:
        self.ready = True
        self.where.setText(f"team store: {location}")
        self.where.setToolTip(location)
        self.refresh()

    def _open_failed(self, e: BaseException) -> None:
        self.where.setText("team store unreachable")
        self.queue.count_label.setText("The team store cannot be reached.")
        self.notify(str(e))

    def notify(self, text: str) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)

    # -- navigation ----------------------------------------------------------------------

    def refresh(self) -> None:
        if not self.ready:
            return
        self.data.facets(self.queue.set_facets, lambda e: self.notify(f"filters: {e}"))
        self.queue.reload()
        self.analytics.reload()
        if self.queue_pages.currentWidget() is self.review:
            self.review.reload()

    def open_review(self, cid: str) -> None:
        self.tabs.setCurrentWidget(self.queue_pages)
        self.queue_pages.setCurrentWidget(self.review)
        self.review.open(cid)
        self.review.transcript.setFocus()

    def back(self) -> None:
        if self.queue_pages.currentWidget() is self.review:
            self.queue_pages.setCurrentWidget(self.queue)
            if self._queue_stale:
                self._queue_stale = False
                self.queue.reload()
            self.queue.table.setFocus()
        elif self.tabs.currentWidget() is self.queue_pages and self.queue.search.text():
            self.queue.search.clear()

    def _stale(self) -> None:
        self._queue_stale = True
        self.analytics.reload()  # flags per 100 chats follow status changes

    def focus_search(self) -> None:
        self.show_queue()
        self.queue.search.setFocus()
        self.queue.search.selectAll()

    def show_queue(self) -> None:
        self.tabs.setCurrentWidget(self.queue_pages)
        if self.queue_pages.currentWidget() is self.queue:
            self.queue.table.setFocus()

    def show_analytics(self) -> None:
        self.tabs.setCurrentWidget(self.analytics)

    # -- export --------------------------------------------------------------------------

    def ask_export(self, fmt: str) -> None:
        kind = "CSV (*.csv)" if fmt == "csv" else "JSON lines (*.jsonl)"
        path, _ = QFileDialog.getSaveFileName(self, "Export the queue selection", "", kind)
        if path:
            if not path.endswith(f".{fmt}"):
                path += f".{fmt}"
            self.export_to(path, fmt)

    def export_to(self, path: str | Path, fmt: str) -> None:
        """Export the chats the queue's filters select (flagged ones) to ``path``."""
        target = str(path)

        def done(n: int) -> None:
            self.notify(f"exported {n} {'rows' if fmt == 'csv' else 'chats'} to {target}")
            self.exported.emit(target, n)

        def failed(e: BaseException) -> None:
            self.notify(f"export failed: {e}")

        self.notify("exporting…")
        self.data.export(target, fmt, self.queue.filters(), self.actor, done, failed)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.data.close()
        self.closed.emit()
        super().closeEvent(event)
