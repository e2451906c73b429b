"""The analytics page: a date range, the team's totals, per-intent and per-agent tables, a
bar chart of acceptance per intent, and the export of the queue's current selection.

The figures are the store's (ratios of rollup sums, see ``assist.store.analytics``); this page
only formats them. The tables sort by clicking a header, on the raw numbers, not the text.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.supervisor.charts import BarChart
from ui.supervisor.data import SupervisorData
from ui.supervisor.parts import muted
from ui.supervisor.queue_model import Index
from ui.supervisor.records import Figures, Summary
from ui.widgets import pretty, section

SORT = Qt.ItemDataRole.UserRole


def pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


def num(v: float | None, fmt: str = "{:.1f}") -> str:
    return "—" if v is None else fmt.format(v)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = round(seconds)
    return f"{s} s" if s < 60 else f"{s // 60} min {s % 60:02d} s"


def rejections_text(counts: dict[str, int]) -> str:
    """``tone 1, unspecified 1`` (most frequent first; zeros left out)."""
    top = sorted(((v, k) for k, v in counts.items() if v), key=lambda vk: (-vk[0], vk[1]))
    return ", ".join(f"{pretty(k)} {v}" for v, k in top) or "—"


def sentiment(f: Figures) -> str:
    if f.sentiment_start is None or f.sentiment_end is None:
        return "—"
    return f"{f.sentiment_start:+.2f} → {f.sentiment_end:+.2f}"


# (header, text, sort value)
COLUMNS: list[tuple[str, Any, Any]] = [
    ("Chats", lambda f: str(f.conversations), lambda f: f.conversations),
    ("Shown", lambda f: str(f.shown), lambda f: f.shown),
    ("Accepted", lambda f: pct(f.acceptance), lambda f: f.acceptance),
    ("Edited", lambda f: pct(f.edit_rate), lambda f: f.edit_rate),
    ("Edit distance", lambda f: num(f.edit_distance), lambda f: f.edit_distance),
    ("Rejections", lambda f: rejections_text(f.rejections), lambda f: sum(f.rejections.values())),
    ("Sentiment start → end", sentiment, lambda f: f.sentiment_end),
    ("Flags / 100 chats", lambda f: num(f.flags_per_100, "{:.0f}"), lambda f: f.flags_per_100),
    ("First reply", lambda f: duration(f.first_reply_s), lambda f: f.first_reply_s),
]


class MetricsModel(QAbstractTableModel):
    def __init__(self, dimension: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dimension = dimension
        self.rows: list[tuple[str, Figures]] = []

    def set_rows(self, rows: dict[str, Figures]) -> None:
        self.beginResetModel()
        self.rows = sorted(rows.items(), key=lambda kv: (-kv[1].conversations, kv[0]))
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt's API)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS) + 1

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.dimension if section == 0 else COLUMNS[section - 1][0]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        key, figures = self.rows[index.row()]
        col = index.column()
        name = (pretty(key) if self.dimension == "Intent" else key) or "(none)"
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return name if col == 0 else COLUMNS[col - 1][1](figures)
        if role == SORT:
            value = name if col == 0 else COLUMNS[col - 1][2](figures)
            return -1.0e18 if value is None else value
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def metrics_table(model: MetricsModel) -> QTableView:
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT)
    view = QTableView()
    view.setAccessibleName(f"figures per {model.dimension.lower()}")
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    view.verticalHeader().hide()
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return view


def qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


class AnalyticsView(QWidget):
    export_requested = Signal(str)  # "csv" | "jsonl"
    notice = Signal(str)
    loaded = Signal(object)  # Summary

    def __init__(self, data: SupervisorData, parent: QWidget | None = None):
        super().__init__(parent)
        self.data = data
        self.summary: Summary | None = None
        today = date.today()
        self.start, self.end = QDateEdit(qdate(today - timedelta(days=29))), QDateEdit(qdate(today))
        for edit, name in ((self.start, "analytics from"), (self.end, "analytics to")):
            edit.setAccessibleName(name)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.refresh_btn = QPushButton("Refresh  (F5)")
        self.refresh_btn.setAccessibleName("refresh analytics")
        self.totals = QLabel()
        self.totals.setAccessibleName("totals")
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chart = BarChart("Suggestion acceptance rate per intent")
        self.intents, self.agents = MetricsModel("Intent", self), MetricsModel("Agent", self)
        self.intent_table = metrics_table(self.intents)
        self.agent_table = metrics_table(self.agents)
        self.export_csv = QPushButton("Export queue selection as CSV…")
        self.export_csv.setAccessibleName("export CSV")
        self.export_jsonl = QPushButton("Export as JSONL…")
        self.export_jsonl.setAccessibleName("export JSONL")
        self.export_hint = muted(QLabel("Exports the chats the review queue's filters select."))

        bar = QHBoxLayout()
        bar.addWidget(QLabel("From"))
        bar.addWidget(self.start)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.end)
        bar.addWidget(self.refresh_btn)
        bar.addStretch(1)
        bar.addWidget(self.export_csv)
        bar.addWidget(self.export_jsonl)
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.addWidget(self.totals)
        inner.addWidget(self.chart)
        for title, view in (("Per intent", self.intent_table), ("Per agent", self.agent_table)):
            box = QVBoxLayout()
            box.addWidget(view)
            inner.addWidget(section(title, box), 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.addLayout(bar)
        outer.addWidget(self.export_hint, 0, Qt.AlignmentFlag.AlignRight)
        outer.addWidget(scroll, 1)

        self.refresh_btn.clicked.connect(self.reload)
        self.start.dateChanged.connect(lambda _d: self.reload())
        self.end.dateChanged.connect(lambda _d: self.reload())
        self.export_csv.clicked.connect(lambda: self.export_requested.emit("csv"))
        self.export_jsonl.clicked.connect(lambda: self.export_requested.emit("jsonl"))

    def set_range(self, start: date, end: date) -> None:
        for edit in (self.start, self.end):
            edit.blockSignals(True)
        self.start.setDate(qdate(start))
        self.end.setDate(qdate(end))
        for edit in (self.start, self.end):
            edit.blockSignals(False)
        self.reload()

    def reload(self) -> None:
        s, e = self.start.date(), self.end.date()
        start, end = date(s.year(), s.month(), s.day()), date(e.year(), e.month(), e.day())
        if end < start:
            self.totals.setText("The range ends before it starts.")
            return
        self.totals.setText("loading…")
        self.data.analytics(start, end, self.show_summary, self._failed)

    def show_summary(self, s: Summary) -> None:
        self.summary = s
        t = s.total
        self.totals.setText(
            f"<b>{t.conversations}</b> chats · <b>{t.shown}</b> suggestions shown · "
            f"<b>{pct(t.acceptance)}</b> accepted · <b>{pct(t.edit_rate)}</b> edited "
            f"(mean edit distance {num(t.edit_distance)}) · rejections: "
            f"{rejections_text(t.rejections)} · sentiment {sentiment(t)} · "
            f"<b>{num(t.flags_per_100, '{:.0f}')}</b> flags per 100 chats · "
            f"first reply {duration(t.first_reply_s)}"
        )
        self.intents.set_rows(s.by_intent)
        self.agents.set_rows(s.by_agent)
        self.chart.set([(pretty(k) or "(none)", f.acceptance) for k, f in self.intents.rows])
        self.loaded.emit(s)

    def _failed(self, e: BaseException) -> None:
        self.totals.setText("The analytics could not be read.")
        self.notice.emit(f"analytics: {e}")
