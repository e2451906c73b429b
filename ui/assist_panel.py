"""The assist panel: what the model makes of the last customer message, and the replies.

It shows one conversation at a time (``show_snapshot``) and is the only widget that also
lives in the compact "beside" window, so it holds no state the main window needs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from assist.conversation import TREND_ARROWS
from assist.desk import ConversationSnapshot
from assist.language import language_name
from ui.cards import SuggestionCard
from ui.theme import SENTIMENT
from ui.widgets import Bar, Sparkline, bold, pretty, section

CARDS = 3
SLOT_LABEL = {
    "order_id": "Order",
    "invoice_id": "Invoice",
    "person_name": "Name",
    "delivery_city": "City",
    "delivery_country": "Country",
    "refund_amount": "Amount",
    "account_type": "Account",
    "email": "E-mail",
    "phone": "Phone",
}


class AssistPanel(QWidget):
    regenerate_clicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("assistPanel")
        self.setAccessibleName("assist panel")
        self.setMinimumWidth(300)

        self.customer = bold(QLabel("No conversation"), 1.1)
        self.escalation = QLabel()
        self.escalation.setWordWrap(True)
        self.escalation.setStyleSheet("color: #e08a00;")
        self.escalation.hide()

        intent_form = QFormLayout()
        self.intent_names: list[QLabel] = []
        self.intent_bars: list[Bar] = []
        for i in range(3):
            name, bar = QLabel("—"), Bar()
            bar.setAccessibleName(f"intent {i + 1} confidence")
            self.intent_names.append(name)
            self.intent_bars.append(bar)
            intent_form.addRow(name, bar)
        self.intent_reason = QLabel()
        self.intent_reason.setEnabled(False)
        intent_form.addRow(self.intent_reason)

        mood = QVBoxLayout()
        self.sentiment = QLabel("—")
        self.sentiment.setAccessibleName("sentiment now")
        self.sparkline = Sparkline()
        mood.addWidget(self.sentiment)
        mood.addWidget(self.sparkline)

        self.slots_form = QFormLayout()
        self.no_slots = QLabel("nothing extracted yet")
        self.no_slots.setEnabled(False)
        self.slots_form.addRow(self.no_slots)
        self._slots: object = ()  # the slots the form shows

        rbox = QVBoxLayout()
        self.cards = [SuggestionCard(i + 1) for i in range(CARDS)]
        for card in self.cards:
            rbox.addWidget(card)
        row = QHBoxLayout()
        self.regenerate = QPushButton("More like this (Ctrl+R)")
        self.regenerate.setAccessibleName("regenerate suggestions")
        self.regenerate.clicked.connect(self.regenerate_clicked)
        row.addStretch(1)
        row.addWidget(self.regenerate)
        rbox.addLayout(row)

        inner = QWidget()
        col = QVBoxLayout(inner)
        col.addWidget(self.customer)
        col.addWidget(self.escalation)
        col.addWidget(section("Intent", intent_form))
        col.addWidget(section("Sentiment", mood))
        col.addWidget(section("Details", self.slots_form))
        col.addWidget(section("Suggested replies", rbox))
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def show_snapshot(self, snap: ConversationSnapshot | None) -> None:
        if snap is None:
            self.customer.setText("No conversation")
            return
        self.customer.setText(snap.customer_name)
        self.escalation.setText("⚑ " + " · ".join(snap.attention))
        self.escalation.setToolTip("\n".join(f.detail for f in snap.flags))
        self.escalation.setVisible(bool(snap.attention))
        a = snap.last_analysis
        if a is not None:
            top = list(a.intent.top)[:3]
            for i in range(3):
                label, p = top[i] if i < len(top) else ("—", 0.0)
                self.intent_names[i].setText(pretty(label))
                self.intent_bars[i].setValue(round(p * 100))
            written_in = language_name(a.language) if a.language != "en" else None
            if written_in:
                self.intent_reason.setText(f"other: written in {written_in} (models read English)")
            elif a.intent.label == "other":
                why = (a.intent.reason or "unsure").replace("_", " ")
                self.intent_reason.setText(f"other / unsure ({why})")
            else:
                self.intent_reason.setText(f"→ {pretty(a.intent.label)}")
            arrow = TREND_ARROWS[snap.direction]
            if a.sentiment.reason:  # not measured: the trend stays what it was
                trend = f" · trend {snap.trend:+.2f} {arrow}" if snap.trend is not None else ""
                self.sentiment.setText(f"not measured ({written_in or 'unreliable'}){trend}")
            else:
                colour = SENTIMENT[a.sentiment.label]
                trend_now = snap.trend if snap.trend is not None else a.sentiment.score
                self.sentiment.setText(
                    f'<span style="color:{colour}; font-weight:bold">{a.sentiment.label}</span>'
                    f" {a.sentiment.score:+.2f} · trend {trend_now:+.2f} {arrow}"
                )
        self.sparkline.set(snap.trend_history)
        if snap.slots == self._slots:
            return  # rebuilding the rows re-lays out the whole panel
        self._slots = snap.slots
        while self.slots_form.rowCount() > 1:
            self.slots_form.removeRow(1)
        self.no_slots.setVisible(not snap.slots)
        for etype, value in snap.slots:
            shown = QLabel(value)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.slots_form.addRow(SLOT_LABEL.get(etype, pretty(etype)), shown)

    def clear_cards(self, placeholder: str = "") -> None:
        for card in self.cards:
            card.clear(placeholder)
