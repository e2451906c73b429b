"""The Settings dialog (offscreen): generated from the declarations, saves through the declared
validation, survives a restart, writes nothing unless saved, and stays accessible."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QtMsgType, qDebug, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

import ui.settings_fields
from assist.profile import CompanyProfile, example_profile, load_profile
from assist.settings import DECLARED, FILENAME, Settings
from ui.settings_dialog import PROFILE_FIELDS, SettingsDialog
from ui.settings_fields import DYNAMIC_CHOICES, label_for, section_of, section_title

# any Qt warning (a bad layout, a tab order across windows...) fails the test that caused it
pytestmark = pytest.mark.qt_log_level_fail("WARNING")

TOKEN = "tok-3f9a-secret"
WIDGET_FOR = {bool: QCheckBox, int: QSpinBox, float: QDoubleSpinBox, str: QLineEdit}


def make_dialog(qtbot: Any, settings: Settings | None = None, **kwargs: Any) -> SettingsDialog:
    kwargs.setdefault("token", TOKEN)
    dialog = SettingsDialog(settings or Settings(), example_profile(), **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def show_section(dialog: SettingsDialog, title: str) -> None:
    titles = [dialog.sections.item(i).text() for i in range(dialog.sections.count())]
    dialog.sections.setCurrentRow(titles.index(title))


def click(qtbot: Any, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_one_editor_per_declared_setting_with_its_doc(qtbot: Any) -> None:
    dialog = make_dialog(qtbot)
    assert list(dialog.editors) == [s.name for s in DECLARED]
    for setting in DECLARED:
        editor = dialog.editors[setting.name]
        listed = setting.choices or setting.name in DYNAMIC_CHOICES
        expected = QComboBox if listed else WIDGET_FOR[setting.type]
        assert type(editor.input) is expected, setting.name
        assert editor.input.window() is dialog
        assert editor.input.toolTip() == setting.doc
    help_lines = {label.text() for label in dialog.findChildren(QLabel)}
    assert {s.doc for s in DECLARED} <= help_lines  # the doc is visible, not only a tooltip
    # no hand-made extra inputs: every check/spin/combo box belongs to a declared setting
    for kind in (QCheckBox, QSpinBox, QDoubleSpinBox, QComboBox):
        expected_count = sum(type(e.input) is kind for e in dialog.editors.values())
        assert len(dialog.findChildren(kind)) == expected_count, kind.__name__
    titles = [dialog.sections.item(i).text() for i in range(dialog.sections.count())]
    sections = list(dict.fromkeys(section_of(s) for s in DECLARED))
    assert titles == ["Company profile"] + [section_title(s) for s in sections]


def test_labels_come_from_the_name_unless_overridden() -> None:
    by_name = {s.name: s for s in DECLARED}
    assert label_for(by_name["generation.top_p"]) == "Top p"
    assert label_for(by_name["generation.repetition_penalty"]) == "Repetition penalty"
    assert label_for(by_name["intent.min_confidence"]) == "Minimum confidence"


def test_numbers_get_the_declared_range_and_unbounded_ones_a_wide_one(qtbot: Any) -> None:
    dialog = make_dialog(qtbot, Settings({"generation.seed": 5_000_000}))
    port = dialog.editors["ingest.port"].input
    assert isinstance(port, QSpinBox)
    assert (port.minimum(), port.maximum(), port.value()) == (1024, 65535, 8765)
    top_p = dialog.editors["generation.top_p"].input
    assert isinstance(top_p, QDoubleSpinBox)
    assert (top_p.minimum(), top_p.maximum(), top_p.singleStep()) == (0.0, 1.0, 0.05)
    threads = dialog.editors["runtime.threads"].input
    assert isinstance(threads, QSpinBox)
    assert (threads.minimum(), threads.maximum()) == (0, 1_000_000)
    # a stored value beyond the default range is shown as it is, not clamped
    assert dialog.editors["generation.seed"].value() == 5_000_000


def test_profile_tab_covers_every_contact_field() -> None:
    contact = {f.name for f in fields(CompanyProfile)} - {"labels", "source"}
    assert set(PROFILE_FIELDS) == contact


def test_saved_values_survive_a_restart(qtbot: Any, isolated_profile: Path) -> None:
    before = Settings()
    dialog = make_dialog(qtbot, before)
    count = dialog.editors["suggestions.count"].input
    assert isinstance(count, QSpinBox)
    count.selectAll()
    qtbot.keyClicks(count, "5")
    top_p = dialog.editors["generation.top_p"].input
    assert isinstance(top_p, QDoubleSpinBox)
    top_p.setValue(0.75)
    generate = dialog.editors["suggestions.generate"].input
    show_section(dialog, "Suggestions")
    click(qtbot, generate)
    theme = dialog.editors["ui.theme"].input
    assert isinstance(theme, QComboBox)
    theme.setCurrentIndex(theme.findData("dark"))
    folder = dialog.editors["library.folder"].input
    show_section(dialog, "Library")
    qtbot.keyClicks(folder, "/srv/macros")
    phone = dialog.profile_edits["support_phone"]
    phone.clear()
    qtbot.keyClicks(phone, " +44 20 7946 0000 ")

    with qtbot.waitSignal(dialog.saved, timeout=1000) as signal:
        click(qtbot, dialog.save_button)

    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()
    loaded = Settings.load()  # a fresh read of <ASSIST_HOME>/settings.toml, as after a restart
    assert loaded.get("suggestions.count") == 5
    assert loaded.get("generation.top_p") == 0.75
    assert loaded.get("suggestions.generate") is False
    assert loaded.get("ui.theme") == "dark"
    assert loaded.get("library.folder") == "/srv/macros"
    assert loaded.get("generation.temperature") == 0.3  # untouched: still the default
    profile = load_profile()
    assert profile.support_phone == "+44 20 7946 0000"
    assert profile.company_name == example_profile().company_name
    assert dict(profile.labels) == dict(example_profile().labels)  # not edited, kept
    # untouched settings are not pinned, so a future default still reaches this user
    raw = tomllib.loads((isolated_profile / FILENAME).read_text(encoding="utf-8"))
    assert "temperature" not in raw["generation"]
    new_settings, new_profile = signal.args
    assert dialog.saved_settings() is new_settings and dialog.saved_profile() is new_profile
    assert isinstance(new_settings, Settings) and isinstance(new_profile, CompanyProfile)
    assert new_settings.as_dict() == loaded.as_dict()
    assert new_profile.support_phone == "+44 20 7946 0000"
    assert before.get("suggestions.count") == 3  # the caller's object was left alone


def test_the_local_model_is_chosen_from_the_installed_ones(
    qtbot: Any, isolated_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    onnx = models / "user" / "qwen-0.5b" / "onnx"  # what `assist models export --hf` leaves
    onnx.mkdir(parents=True)
    (onnx / "genai_config.json").write_text("{}")
    (onnx.parent / "manifest.json").write_text('{"files": {"onnx/genai_config.json": "0"}}')
    monkeypatch.setenv("ASSIST_MODELS_DIR", str(models))
    dialog = make_dialog(qtbot)
    combo = dialog.editors["llm.model"].input
    assert isinstance(combo, QComboBox)
    items = [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]
    assert [v for v, _ in items] == ["", "qwen-0.5b"] and combo.currentData() == ""
    assert "bundled" in items[0][1]
    show_section(dialog, "Language model")
    combo.setCurrentIndex(combo.findData("qwen-0.5b"))
    with qtbot.waitSignal(dialog.saved, timeout=1000):
        click(qtbot, dialog.save_button)
    assert Settings.load()["llm.model"] == "qwen-0.5b"

    # a model deleted since: still selected, saying so, and saved back unchanged
    stale = make_dialog(qtbot, Settings({"llm.model": "deleted"}))
    combo = stale.editors["llm.model"].input
    assert isinstance(combo, QComboBox)
    assert combo.currentText() == "deleted (not installed)"
    with qtbot.waitSignal(stale.saved, timeout=1000) as signal:
        click(qtbot, stale.save_button)
    assert signal.args[0]["llm.model"] == "deleted"


def test_cancel_writes_nothing(qtbot: Any, isolated_profile: Path) -> None:
    dialog = make_dialog(qtbot)
    dialog.editors["ui.theme"].set_value("light")
    dialog.profile_edits["company_name"].setText("Other Shop")
    with qtbot.assertNotEmitted(dialog.saved):
        click(qtbot, dialog.cancel_button)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert list(isolated_profile.iterdir()) == []
    assert dialog.saved_settings() is None and dialog.saved_profile() is None


def test_an_invalid_value_is_shown_inline_and_the_dialog_stays_open(
    qtbot: Any, isolated_profile: Path
) -> None:
    dialog = make_dialog(qtbot)
    theme = dialog.editors["ui.theme"].input
    assert isinstance(theme, QComboBox)
    theme.addItem("neon")  # not a declared choice: only Settings.set can refuse it
    theme.setCurrentText("neon")
    show_section(dialog, "Company profile")
    with qtbot.assertNotEmitted(dialog.saved):
        click(qtbot, dialog.save_button)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error_label.isVisible()
    assert "Theme" in dialog.error_label.text() and "ui.theme" in dialog.error_label.text()
    assert "neon" in dialog.error_label.text()
    page = dialog.pages.currentWidget()
    assert page is not None and page.isAncestorOf(theme)  # jumped to the offending field
    assert list(isolated_profile.iterdir()) == []

    theme.setCurrentIndex(theme.findData("dark"))
    click(qtbot, dialog.save_button)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not dialog.error_label.isVisible()
    assert Settings.load().get("ui.theme") == "dark"


def test_copy_puts_the_token_on_the_clipboard_and_show_unmasks_it(qtbot: Any) -> None:
    dialog = make_dialog(qtbot)
    show_section(dialog, "Ingestion API")
    assert dialog.token_edit.isReadOnly()
    assert dialog.token_edit.echoMode() == QLineEdit.EchoMode.Password
    assert TOKEN not in dialog.token_edit.displayText()
    assert not dialog.token_warning_label.isVisible()
    QGuiApplication.clipboard().clear()
    click(qtbot, dialog.copy_token)
    assert QGuiApplication.clipboard().text() == TOKEN
    click(qtbot, dialog.show_token)
    assert dialog.token_edit.displayText() == TOKEN and dialog.show_token.text() == "Hide"
    click(qtbot, dialog.show_token)
    assert dialog.token_edit.echoMode() == QLineEdit.EchoMode.Password


def test_without_a_token_a_warning_shows_and_copy_is_disabled(qtbot: Any) -> None:
    warning = "No keyring backend: token storage and remote features are disabled."
    dialog = make_dialog(qtbot, token=None, token_warning=warning)
    show_section(dialog, "Ingestion API")
    assert dialog.token_warning_label.isVisible()
    assert dialog.token_warning_label.text() == warning
    assert not dialog.copy_token.isEnabled() and not dialog.show_token.isEnabled()
    assert dialog.token_edit.text() == ""

    plain = make_dialog(qtbot, token=None)  # no reason given: still a visible warning
    show_section(plain, "Ingestion API")
    assert plain.token_warning_label.isVisible() and plain.token_warning_label.text()


def test_a_warning_shows_even_with_a_token(qtbot: Any) -> None:
    dialog = make_dialog(qtbot, token_warning="Token could not be saved to the keyring.")
    show_section(dialog, "Ingestion API")
    assert dialog.token_warning_label.isVisible() and dialog.copy_token.isEnabled()


def test_restore_defaults_resets_the_fields_but_not_the_file(
    qtbot: Any, isolated_profile: Path
) -> None:
    custom = {
        "suggestions.count": 7,
        "suggestions.generate": False,
        "generation.top_p": 0.5,
        "ui.theme": "dark",
        "library.folder": "/srv/macros",
    }
    dialog = make_dialog(qtbot, Settings(custom))
    assert dialog.editors["ui.theme"].value() == "dark"
    dialog.profile_edits["company_name"].setText("Kept Shop")
    click(qtbot, dialog.restore_button)
    assert {n: e.value() for n, e in dialog.editors.items()} == {
        s.name: s.default for s in DECLARED
    }
    assert dialog.profile_edits["company_name"].text() == "Kept Shop"  # not a setting
    assert dialog.isVisible() and list(isolated_profile.iterdir()) == []


def test_every_input_has_an_accessible_name_and_description(qtbot: Any) -> None:
    dialog = make_dialog(qtbot)
    for name, editor in dialog.editors.items():
        assert editor.input.accessibleName() == label_for(editor.setting), name
        assert editor.input.accessibleDescription() == editor.setting.doc, name
    inputs: list[QWidget] = [
        *dialog.findChildren(QLineEdit),
        *dialog.findChildren(QAbstractSpinBox),
        *dialog.findChildren(QComboBox),
        *dialog.findChildren(QCheckBox),
    ]
    own = [w for w in inputs if not isinstance(w.parent(), QAbstractSpinBox)]  # not spin innards
    assert len(own) > len(DECLARED)
    assert [w for w in own if not w.accessibleName().strip()] == []


def test_tab_follows_the_visual_order(qtbot: Any) -> None:
    dialog = make_dialog(qtbot)
    expected = list(dialog.profile_edits.values()) + [e.input for e in dialog.editors.values()]
    seen: list[QWidget] = []
    widget = dialog.sections.nextInFocusChain()
    while widget is not None and widget is not dialog.sections:
        if widget in expected and widget not in seen:
            seen.append(widget)
        widget = widget.nextInFocusChain()
    assert seen == expected


def test_library_folder_is_editable_and_browse_fills_it(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = make_dialog(qtbot)
    editor = dialog.editors["library.folder"]
    assert isinstance(editor.input, QLineEdit) and not editor.input.isReadOnly()
    assert editor.browse is not None and editor.browse.text() == "Browse…"
    answers = iter(["/srv/chosen", ""])  # a chosen folder, then a cancelled file dialog
    monkeypatch.setattr(
        ui.settings_fields.QFileDialog, "getExistingDirectory", lambda *a: next(answers)
    )
    show_section(dialog, "Library")
    click(qtbot, editor.browse)
    assert editor.value() == "/srv/chosen"
    click(qtbot, editor.browse)
    assert editor.value() == "/srv/chosen"


def test_the_wheel_does_not_change_an_unfocused_spin_box(qtbot: Any) -> None:
    dialog = make_dialog(qtbot)
    show_section(dialog, "Suggestions")
    spin = dialog.editors["suggestions.count"].input
    assert not spin.hasFocus()
    centre = QPointF(spin.rect().center())
    wheel = QWheelEvent(
        centre,
        QPointF(spin.mapToGlobal(centre)),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(spin, wheel)
    assert dialog.editors["suggestions.count"].value() == 3


def test_building_and_saving_logs_no_qt_warning(qtbot: Any) -> None:
    """Our own handler, not only the module's marker: pytest-qt's capture is off under -s."""
    messages: list[tuple[QtMsgType, str]] = []
    previous = qInstallMessageHandler(lambda kind, _ctx, text: messages.append((kind, text)))
    try:
        qDebug("canary")  # proves the handler is the one receiving messages
        dialog = make_dialog(qtbot, token=None)
        for row in range(dialog.sections.count()):
            dialog.sections.setCurrentRow(row)
            qtbot.wait(1)
        dialog.editors["generation.seed"].set_value(42)
        click(qtbot, dialog.save_button)
    finally:
        qInstallMessageHandler(previous)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert messages[0] == (QtMsgType.QtDebugMsg, "canary")
    bad = {QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg}
    assert [text for kind, text in messages if kind in bad] == []
