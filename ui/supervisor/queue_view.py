"""The review queue page: the filter bar, the table of flagged chats and the "More" pager.

Every filter change asks the store for the first page again, under one task key, so an older
query still running is cancelled and its page dropped: what the table shows always matches
the filters on screen. The search box waits for a pause in typing before it asks.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QModelIndex, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.supervisor.data import FLAG_REASONS, FLAG_STATUSES, SupervisorData
from ui.supervisor.queue_model import REASONS_COLUMN, ROW, STATUS, QueueModel, ReasonChips
from ui.supervisor.records import Filters, Page
from ui.widgets import pretty

SORT_LABELS = {
    "severity": "Severity (worst first)",
    "age": "Age (longest waiting)",
    "recent": "Most recently flagged",
}
NO_DATE = QDate(2000, 1, 1)  # the date edits' "any" value (shown as its special text)


def combo(name: str, any_label: str, values: list[tuple[str, str]]) -> QComboBox:
    """A filter menu: ``any_label`` (no filter, data None) then (label, value) pairs."""
    box = QComboBox()
    box.setAccessibleName(name)
    box.setToolTip(name)
    box.addItem(any_label, None)
    for label, value in values:
        box.addItem(label, value)
    return box


def date_edit(name: str) -> QDateEdit:
    edit = QDateEdit()
    edit.setAccessibleName(name)
    edit.setToolTip(f"{name} (clear with the lowest date: shows “any”)")
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumDate(NO_DATE)
    edit.setSpecialValueText("any")
    edit.setDate(NO_DATE)
    return edit


def chosen_date(edit: QDateEdit) -> date | None:
    d = edit.date()
    return None if d == NO_DATE else date(d.year(), d.month(), d.day())


class QueueView(QWidget):
    open_requested = Signal(str)  # conversation id
    notice = Signal(str)  # a line for the status bar

    def __init__(self, data: SupervisorData, parent: QWidget | None = None):
        super().__init__(parent)
        self.data = data
        self.page_size = 50
        self.loading = False
        self.total = 0
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search customer name or message text  (Ctrl+F)")
        self.search.setAccessibleName("search the queue")
        self.search.setClearButtonEnabled(True)
        self.sort = QComboBox()
        self.sort.setAccessibleName("sort")
        for key, label in SORT_LABELS.items():
            self.sort.addItem(label, key)
        self.reason = combo("flag reason", "any reason", [(pretty(r), r) for r in FLAG_REASONS])
        self.status = combo("review status", "any status", [(STATUS[s], s) for s in FLAG_STATUSES])
        self.agent = combo("agent", "any agent", [])
        self.intent = combo("intent", "any intent", [])
        self.start, self.end = date_edit("flagged chats from"), date_edit("flagged chats to")
        self.clear_btn = QPushButton("Clear filters")
        self.clear_btn.setAccessibleName("clear filters")

        self.model = QueueModel(self)
        self.table = QTableView()
        self.table.setAccessibleName("review queue")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(REASONS_COLUMN, ReasonChips(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(REASONS_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.count_label = QLabel()
        self.count_label.setAccessibleName("queue count")
        self.more_btn = QPushButton("More")
        self.more_btn.setAccessibleName("load more flagged chats")
        self.more_btn.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        top.addWidget(QLabel("Sort"))
        top.addWidget(self.sort, 1)
        filters = QHBoxLayout()
        for w in (self.reason, self.status, self.agent, self.intent):
            filters.addWidget(w, 1)
        filters.addWidget(QLabel("From"))
        filters.addWidget(self.start)
        filters.addWidget(QLabel("to"))
        filters.addWidget(self.end)
        filters.addWidget(self.clear_btn)
        footer = QHBoxLayout()
        footer.addWidget(self.count_label, 1)
        footer.addWidget(self.more_btn)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addLayout(filters)
        box.addWidget(self.table, 1)
        box.addLayout(footer)

        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(250)
        self._typing.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._typing.start())
        self.search.returnPressed.connect(self._search_now)
        for box_ in (self.sort, self.reason, self.status, self.agent, self.intent):
            box_.currentIndexChanged.connect(lambda _i: self.reload())
        for edit in (self.start, self.end):
            edit.dateChanged.connect(lambda _d: self.reload())
        self.clear_btn.clicked.connect(self.clear_filters)
        self.more_btn.clicked.connect(self.more)
        self.table.activated.connect(self._activated)

    # -- filters -------------------------------------------------------------------------

    def filters(self) -> Filters:
        return Filters(
            reason=self.reason.currentData(),
            agent=self.agent.currentData(),
            intent=self.intent.currentData(),
            status=self.status.currentData(),
            start=chosen_date(self.start),
            end=chosen_date(self.end),
            text=self.search.text(),
        )

    def set_facets(self, facets: tuple[list[str], list[str]]) -> None:
        """Fill the agent and intent menus, keeping what is chosen."""
        agents, intents = facets
        for box, values in ((self.agent, agents), (self.intent, intents)):
            keep = box.currentData()
            box.blockSignals(True)
            while box.count() > 1:
                box.removeItem(1)
            for v in values:
                box.addItem(pretty(v) if box is self.intent else v, v)
            box.setCurrentIndex(max(0, box.findData(keep)) if keep else 0)
            box.blockSignals(False)

    def clear_filters(self) -> None:
        widgets = (self.search, self.reason, self.status, self.agent, self.intent)
        for w in (*widgets, self.start, self.end):
            w.blockSignals(True)
        self.search.clear()
        for box in widgets[1:]:
            box.setCurrentIndex(0)
        self.start.setDate(NO_DATE)
        self.end.setDate(NO_DATE)
        for w in (*widgets, self.start, self.end):
            w.blockSignals(False)
        self.reload()

    def _search_now(self) -> None:
        self._typing.stop()
        self.reload()

    # -- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        """The first page for the filters on screen (cancels a query still running)."""
        self._typing.stop()
        self._ask(0)

    def more(self) -> None:
        if not self.loading:
            self._ask(len(self.model.rows))

    def _ask(self, offset: int) -> None:
        self.loading = True
        self.more_btn.setEnabled(False)
        self.count_label.setText("loading…")
        sort = self.sort.currentData() or "severity"

        def shown(page: Page) -> None:
            self._show(page, offset)

        self.data.queue(self.filters(), sort, offset, self.page_size, shown, self._failed)

    def _show(self, page: Page, offset: int) -> None:
        self.loading = False
        current = self.current_id()
        if offset == 0:
            self.model.set_rows(page.rows)
        else:
            self.model.append_rows(page.rows)
        self.total = page.total
        self.more_btn.setEnabled(page.has_more)
        n = len(self.model.rows)
        if not n:
            self.count_label.setText("No flagged chats match these filters.")
        else:
            self.count_label.setText(f"{n} of {page.total} flagged chats")
        self.select(current or (self.model.rows[0].conversation_id if n else None))

    def _failed(self, e: BaseException) -> None:
        self.loading = False
        self.count_label.setText("The queue could not be read.")
        self.notice.emit(f"queue: {e}")

    # -- selection and opening -------------------------------------------------------------

    def current_id(self) -> str | None:
        index = self.table.currentIndex()
        row = index.data(ROW) if index.isValid() else None
        return row.conversation_id if row is not None else None

    def select(self, cid: str | None) -> None:
        for n, row in enumerate(self.model.rows):
            if row.conversation_id == cid:
                self.table.setCurrentIndex(self.model.index(n, 0))
                self.table.scrollTo(self.model.index(n, 0))
                return

    def _activated(self, index: QModelIndex) -> None:
        row = index.data(ROW)
        if row is not None:
            self.open_requested.emit(row.conversation_id)

    def open_current(self) -> None:
        cid = self.current_id()
        if cid is not None:
            self.open_requested.emit(cid)
