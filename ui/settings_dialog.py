"""The Settings dialog: every declared setting, the company profile and the ingestion token.

Why it is generated from ``assist.settings.DECLARED``: the declaration table is the single
source of truth, so a new setting shows up here (with its doc as help) without touching this
file, and every value goes back through ``Settings.set``, the same validation the CLI uses.

Why nothing is written until Save: the dialog edits copies. The ``Settings`` and
``CompanyProfile`` passed in are never mutated, so Cancel (or a failed save) leaves the running
app exactly as it was; the caller applies ``saved_settings()`` / ``saved_profile()`` (or listens
to ``saved``) after a successful save.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from assist.profile import CompanyProfile, save_profile
from assist.settings import BY_NAME, DECLARED, Setting, Settings, SettingsError
from ui.remote_settings import RemoteBox, RunTask
from ui.settings_fields import (
    FieldEditor,
    help_label,
    new_form,
    section_of,
    section_title,
    with_help,
)

# CompanyProfile attribute -> (label, what it is used for)
PROFILE_FIELDS: dict[str, tuple[str, str]] = {
    "company_name": ("Company name", "How replies name the company."),
    "website_name": ("Website name", "The shop's name as customers know it online."),
    "website_url": ("Website URL", "The only web address a reply may give."),
    "support_phone": ("Support phone", "The only phone number a reply may give."),
    "support_email": ("Support email", "The only email address a reply may give."),
    "support_hours": ("Support hours", "When customers can reach support, as replies state it."),
    "live_chat": ("Live chat label", "What the site calls its live chat."),
}
NO_TOKEN = "No ingestion token is available, so the ingestion API cannot accept conversations."


class SettingsDialog(QDialog):
    """Edit settings and profile; Save validates, writes both files and emits ``saved``."""

    saved = Signal(object, object)  # (Settings, CompanyProfile), after both files are written

    def __init__(
        self,
        settings: Settings,
        profile: CompanyProfile,
        token: str | None = None,
        token_warning: str | None = None,
        parent: QWidget | None = None,
        run_task: RunTask | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._run_task = run_task  # the app's background worker (keyring probe, server test)
        self.remote_box: RemoteBox | None = None
        self._settings, self._profile, self._token = settings, profile, token
        self._token_warning = token_warning or (NO_TOKEN if token is None else "")
        self._saved: tuple[Settings, CompanyProfile] | None = None
        self.editors: dict[str, FieldEditor] = {}
        self._page_of: dict[str, int] = {}
        self.profile_edits: dict[str, QLineEdit] = {}

        self.sections = QListWidget()
        self._chain: list[QWidget] = [self.sections]  # focusable inputs in visual order
        self.sections.setAccessibleName("Settings sections")
        self.sections.setSpacing(self.fontMetrics().lineSpacing() // 6)
        self.pages = QStackedWidget()
        self.sections.currentRowChanged.connect(self.pages.setCurrentIndex)
        self._add_page("Company profile", self._profile_page())
        by_section: dict[str, list[Setting]] = {}
        for setting in DECLARED:
            by_section.setdefault(section_of(setting), []).append(setting)
        for section, declared in by_section.items():
            self._add_page(section_title(section), self._settings_page(section, declared))
        self.sections.setCurrentRow(0)
        fm = self.fontMetrics()
        longest = max(
            fm.horizontalAdvance(self.sections.item(i).text()) for i in range(self.sections.count())
        )
        self.sections.setMaximumWidth(longest + 4 * fm.averageCharWidth())

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")  # colour only; the size stays the user's
        self.error_label.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        self.restore_button.clicked.connect(self.restore_defaults)

        body = QHBoxLayout()
        body.addWidget(self.sections)
        body.addWidget(self.pages, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        # sized in text units, so it grows with the font at 125-200% scaling
        self.setMinimumSize(fm.averageCharWidth() * 80, fm.lineSpacing() * 20)
        self.resize(fm.averageCharWidth() * 110, fm.lineSpacing() * 36)
        self._set_tab_order()

    # -- construction ---------------------------------------------------------------------

    def _add_page(self, title: str, content: QWidget) -> None:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        self.sections.addItem(title)
        self.pages.addWidget(scroll)

    def _profile_page(self) -> QWidget:
        page = QWidget()
        form = new_form(self.fontMetrics().lineSpacing() // 2)
        note = QLabel(
            "Suggested replies only ever give these contact details, never ones a model made up."
            " Leave a field empty if the company has none."
        )
        note.setWordWrap(True)
        form.addRow(note)
        for attr, (label, doc) in PROFILE_FIELDS.items():
            edit = QLineEdit(getattr(self._profile, attr))
            edit.setAccessibleName(label)
            edit.setAccessibleDescription(doc)
            edit.setToolTip(doc)
            self.profile_edits[attr] = edit
            self._chain.append(edit)
            form.addRow(label, with_help(edit, doc))
        page.setLayout(form)
        return page

    def _settings_page(self, section: str, declared: list[Setting]) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        form = new_form(self.fontMetrics().lineSpacing() // 2)
        for setting in declared:
            editor = FieldEditor(setting, self._settings.get(setting.name))
            self.editors[setting.name] = editor
            self._page_of[setting.name] = self.pages.count()
            self._chain += [editor.input] + ([editor.browse] if editor.browse else [])
            field = with_help(editor.widget, setting.doc)
            if setting.type is bool:  # the check box carries its own label
                form.addRow("", field)
            else:
                label = QLabel(editor.label)
                label.setBuddy(editor.input)
                label.setToolTip(setting.doc)
                form.addRow(label, field)
            if setting.name == "remote.mode":  # key and test right under where to connect
                self.remote_box = RemoteBox(self._checked_values, self._run_task)
                self._chain += self.remote_box.widgets
                form.addRow(self.remote_box)
        column.addLayout(form)
        if section == "ingest":
            column.addWidget(self._token_box())
        if section == "store":
            column.addWidget(self._store_password_box())
        if self.remote_box is not None and section == "remote":
            self.remote_box.update_redaction()
            for name, editor in self.editors.items():
                if name.startswith("remote.redact_") and isinstance(editor.input, QCheckBox):
                    editor.input.toggled.connect(self.remote_box.update_redaction)
        column.addStretch(1)
        return page

    def _store_password_box(self) -> QGroupBox:
        """The team database's password: written to the OS keyring on Save, never the file."""
        box = QGroupBox("Team database password")
        column = QVBoxLayout(box)
        column.addWidget(
            help_label("Kept in the OS keyring, not in the settings file. Empty: unchanged.")
        )
        self.store_password = QLineEdit()
        self.store_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.store_password.setPlaceholderText("unchanged")
        self.store_password.setAccessibleName("Team database password")
        self._chain.append(self.store_password)
        column.addWidget(self.store_password)
        return box

    def _token_box(self) -> QGroupBox:
        box = QGroupBox("Ingestion API token")
        column = QVBoxLayout(box)
        self.token_warning_label = QLabel(self._token_warning)  # first: it explains the rest
        self.token_warning_label.setWordWrap(True)
        self.token_warning_label.setVisible(bool(self._token_warning))
        column.addWidget(self.token_warning_label)
        column.addWidget(help_label("Helpdesk relays send it as 'Authorization: Bearer <token>'."))
        self.token_edit = QLineEdit(self._token or "")
        self.token_edit.setReadOnly(True)
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("No token")
        self.token_edit.setMinimumWidth(self.fontMetrics().averageCharWidth() * 12)
        self.token_edit.setAccessibleName("Ingestion API token")
        self.token_edit.setAccessibleDescription("Bearer token for the local ingestion API.")
        self.show_token = QPushButton("Show")
        self.show_token.setCheckable(True)
        self.show_token.setAccessibleName("Show the token")
        self.show_token.toggled.connect(self._toggle_token)
        self.copy_token = QPushButton("Copy")
        self.copy_token.setAccessibleName("Copy the token")
        self.copy_token.clicked.connect(self._copy_token)
        self.show_token.setEnabled(self._token is not None)
        self.copy_token.setEnabled(self._token is not None)
        self._chain += [self.token_edit, self.show_token, self.copy_token]
        row = QHBoxLayout()
        row.addWidget(self.token_edit, 1)
        row.addWidget(self.show_token)
        row.addWidget(self.copy_token)
        column.addLayout(row)
        return box

    def _set_tab_order(self) -> None:
        """Why explicit: Tab must follow the page's visual order (list, then fields top to
        bottom), whatever order the widgets happened to be created or reparented in."""
        for first, second in zip(self._chain, self._chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    # -- actions --------------------------------------------------------------------------

    def _toggle_token(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.token_edit.setEchoMode(mode)
        self.show_token.setText("Hide" if shown else "Show")

    def _copy_token(self) -> None:
        if self._token:
            QGuiApplication.clipboard().setText(self._token)

    def restore_defaults(self) -> None:
        """Put the declared defaults in the fields; the file changes only on Save."""
        for editor in self.editors.values():
            editor.set_value(editor.setting.default)
        self.error_label.hide()

    def _checked_values(self, show_errors: bool = True) -> Settings | None:
        """The fields' values, validated; None (and the error shown) if one is invalid."""
        if show_errors:
            self.error_label.hide()
        checked = Settings()
        for name, editor in self.editors.items():
            try:
                checked.set(name, editor.value())
            except SettingsError as exc:
                if show_errors:
                    self._show_error(f"{editor.label}: {exc}", editor)
                return None
        return checked

    def typed_api_key(self) -> str:
        """The remote API key typed in this dialog ("" = unchanged); for the keyring."""
        return self.remote_box.typed_key() if self.remote_box is not None else ""

    def _save(self) -> None:
        checked = self._checked_values()
        if checked is None:
            return
        # a value equal to its default is not pinned in the file, so a better default in a
        # later release reaches everyone who never changed that setting
        changed = {n: v for n, v in checked.as_dict().items() if v != BY_NAME[n].default}
        new_settings = Settings(changed, path=self._settings.path)
        texts: dict[str, Any] = {
            attr: edit.text().strip() for attr, edit in self.profile_edits.items()
        }
        new_profile = replace(self._profile, **texts)
        try:
            new_settings.save()
            new_profile = replace(new_profile, source=str(save_profile(new_profile)))
        except OSError as exc:
            self._show_error(f"Could not save: {exc}")
            return
        self._saved = (new_settings, new_profile)
        self.saved.emit(new_settings, new_profile)
        self.accept()

    def _show_error(self, message: str, editor: FieldEditor | None = None) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        if editor is not None:  # bring the offending field into view
            self.sections.setCurrentRow(self._page_of[editor.setting.name])
            editor.input.setFocus()

    def saved_settings(self) -> Settings | None:
        """The settings as written, or None if the dialog was not saved."""
        return self._saved[0] if self._saved else None

    def saved_profile(self) -> CompanyProfile | None:
        """The profile as written, or None if the dialog was not saved."""
        return self._saved[1] if self._saved else None
