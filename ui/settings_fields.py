"""One editor widget per declared ``Setting`` (chosen from its type, choices and bounds), and
the small layout helpers the settings dialog builds its forms from.

Why a module of its own: the settings dialog only lays fields out. How a ``Setting`` becomes a
widget, and how the widget's state becomes a value for ``Settings.set`` to check, is the part a
new setting type changes, so it lives here and the dialog never names a setting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from assist.runtime.installed import model_choices
from assist.settings import Setting

# Only where the name-derived label reads badly; everything else comes from the name.
LABEL_OVERRIDES: dict[str, str] = {
    "suggestions.count": "Suggestions per message",
    "suggestions.generate": "Draft a reply with the language model",
    "intent.min_confidence": "Minimum confidence",
    "ingest.enabled": "Enable the ingestion API",
    "store.url": "Team database URL",
    "agent.name": "Your name",
    "flags.unsure_turns": "Turns the model can't help with",
    "flags.wait_minutes": "Longest wait (minutes)",
    "flags.trend_window": "Falling-mood messages",
    "remote.url": "Server URL",
    "remote.model": "Model",
    "remote.mode": "When to use it",
    "remote.ca_file": "CA certificate file",
    "remote.first_token_timeout": "First words within (s)",
    "remote.stall_timeout": "Longest silence (s)",
    "remote.deadline": "Whole draft within (s)",
    "remote.connect_timeout": "Connect within (s)",
    "remote.sampling_extras": "Send top_k and repetition_penalty",
    "remote.redact_cards": "Hide card numbers",
    "remote.redact_emails": "Hide e-mail addresses",
    "remote.redact_phones": "Hide phone numbers",
    "remote.redact_ibans": "Hide IBANs",
    "remote.redact_addresses": "Hide street addresses",
    "remote.redact_order_ids": "Hide order ids",
    "llm.model": "Local model",
}
SECTION_TITLES: dict[str, str] = {
    "ui": "Interface",
    "ingest": "Ingestion API",
    "store": "Team store",
    "agent": "You",
    "remote": "Remote server",
    "llm": "Language model",
}
CHOICE_LABELS: dict[Any, str] = {
    "en": "English",
    "fallback": "Server first, local model if it fails",
    "remote": "Server only",
    "local": "Never (local model only)",
}
# settings whose choices are what is installed, not declared: (current value) -> (value, label)
DYNAMIC_CHOICES: dict[str, Callable[[Any], list[tuple[Any, str]]]] = {
    "llm.model": model_choices,
}
FOLDER_SETTINGS = frozenset({"library.folder"})  # these get a "Browse…" button
FILE_SETTINGS = frozenset({"remote.ca_file"})  # and these one for a file

UNBOUNDED = (0, 1_000_000)  # spin-box range for a number the declaration leaves open
INT32_MAX = 2**31 - 1  # QSpinBox holds a C int


def section_of(setting: Setting) -> str:
    return setting.name.split(".", 1)[0]


def section_title(section: str) -> str:
    return SECTION_TITLES.get(section, section.replace("_", " ").capitalize())


def label_for(setting: Setting) -> str:
    """``generation.top_p`` -> "Top p": the key after the section, underscores as spaces."""
    if setting.name in LABEL_OVERRIDES:
        return LABEL_OVERRIDES[setting.name]
    return setting.name.split(".", 1)[-1].replace("_", " ").capitalize()


def help_label(text: str) -> QLabel:
    """The small grey line under a field: the setting's doc, visible without hovering."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)  # relative, so it follows the user's scaling
    label.setFont(font)
    return label


def with_help(field: QWidget, doc: str) -> QWidget:
    """The field with its help line right under it, so the two read as one item."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    expanding = (QSizePolicy.Policy.Expanding, QSizePolicy.Policy.MinimumExpanding)
    grows = field.sizePolicy().horizontalPolicy() in expanding  # text fields; not spin boxes
    column.addWidget(field, 0, Qt.AlignmentFlag(0) if grows else Qt.AlignmentFlag.AlignLeft)
    column.addWidget(help_label(doc))
    return box


def new_form(spacing: int) -> QFormLayout:
    form = QFormLayout()
    form.setVerticalSpacing(spacing)
    # labels go above their fields when the window is narrow (large text, 200% scaling)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
    return form


class _WheelOnlyWhenFocused(QObject):
    """Why: in a scrolling form, the mouse wheel passing over a spin box or combo box would
    silently change its value; unfocused, the wheel scrolls the page instead."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        wheel = event.type() == QEvent.Type.Wheel
        if wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            event.ignore()  # ignored, so Qt hands it on to the scroll area
            return True
        return False


class FieldEditor:
    """The input for one setting. ``widget`` goes into the form (it may hold extra buttons);
    ``input`` is the focusable control that carries the value and the accessible name."""

    def __init__(self, setting: Setting, value: Any) -> None:
        self.setting = setting
        self.label = label_for(setting)
        self.browse: QPushButton | None = None
        self.input = self._make_input(setting, value)
        self.input.setAccessibleName(self.label)
        self.input.setAccessibleDescription(setting.doc)
        self.input.setToolTip(setting.doc)
        self.widget: QWidget = self.input
        if setting.name in FOLDER_SETTINGS | FILE_SETTINGS:
            self.widget = self._with_browse_button()
        self.set_value(value)

    def _make_input(self, setting: Setting, value: Any) -> QWidget:
        if setting.type is bool:
            return QCheckBox(self.label)
        if setting.name in DYNAMIC_CHOICES or setting.choices:
            combo = QComboBox()
            for choice, text in self._choices(setting, value):
                combo.addItem(text, choice)
            return self._guard_wheel(combo)
        if setting.type is int:
            spin = QSpinBox()
            low, high = self._range(setting, value, UNBOUNDED[0], UNBOUNDED[1])
            spin.setRange(int(max(low, -INT32_MAX)), int(min(high, INT32_MAX)))
            return self._guard_wheel(spin)
        if setting.type is float:
            dspin = QDoubleSpinBox()
            # 2 decimals read best; 3 where a default or stored value needs them (never round)
            exact = all(round(float(v), 2) == float(v) for v in (setting.default, value))
            dspin.setDecimals(2 if exact else 3)
            dspin.setRange(*self._range(setting, value, *UNBOUNDED))
            dspin.setSingleStep(0.05 if dspin.maximum() - dspin.minimum() <= 10 else 0.5)
            return self._guard_wheel(dspin)
        return QLineEdit()

    @staticmethod
    def _choices(setting: Setting, value: Any) -> list[tuple[Any, str]]:
        """(value, label) for a combo box: what is installed, or the declared choices."""
        if setting.name in DYNAMIC_CHOICES:
            return DYNAMIC_CHOICES[setting.name](value)
        return [(c, CHOICE_LABELS.get(c, str(c).capitalize())) for c in setting.choices or ()]

    @staticmethod
    def _range(setting: Setting, value: Any, low: float, high: float) -> tuple[float, float]:
        """Declared bounds, else ``UNBOUNDED`` widened to the stored value: a value set from the
        CLI must never be clamped (and so silently changed) just by opening the dialog."""
        low = setting.minimum if setting.minimum is not None else min(low, value)
        high = setting.maximum if setting.maximum is not None else max(high, value)
        return low, high

    def _guard_wheel(self, widget: QWidget) -> QWidget:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        widget.installEventFilter(_WheelOnlyWhenFocused(widget))
        return widget

    def _with_browse_button(self) -> QWidget:
        row = QWidget()
        row.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.input, 1)
        self.browse = QPushButton("Browse…")
        self.browse.setAccessibleName(f"Browse for {self.label.lower()}")
        self.browse.clicked.connect(self._choose_folder)
        layout.addWidget(self.browse)
        return row

    def _choose_folder(self) -> None:
        assert isinstance(self.input, QLineEdit)
        start, title = self.input.text(), f"Choose the {self.label}"
        if self.setting.name in FILE_SETTINGS:
            chosen, _ = QFileDialog.getOpenFileName(
                self.widget, title, start, "Certificates (*.pem *.crt *.cer);;All files (*)"
            )
        else:
            chosen = QFileDialog.getExistingDirectory(self.widget, title, start)
        if chosen:
            self.input.setText(chosen)

    def value(self) -> Any:
        """The widget's value, unchecked: ``Settings.set`` does the validation."""
        w = self.input
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            data = w.currentData()
            return w.currentText() if data is None else data
        if isinstance(w, QSpinBox):
            return w.value()
        if isinstance(w, QDoubleSpinBox):
            return round(w.value(), w.decimals())
        assert isinstance(w, QLineEdit)
        return w.text()

    def set_value(self, value: Any) -> None:
        w = self.input
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(w.findData(value))
        elif isinstance(w, QSpinBox):
            w.setValue(int(value))
        elif isinstance(w, QDoubleSpinBox):
            w.setValue(float(value))
        elif isinstance(w, QLineEdit):
            w.setText(str(value))
