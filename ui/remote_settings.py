"""The remote server's extras in the Settings dialog: the API key, "Test connection", and what
redaction hides from the server.

Why its own widget: the key never goes through ``Settings`` (it belongs in the OS keyring, and
the dialog hands it to the controller only on Save), and the two slow things here (probing the
keyring, asking the server for its models) run on the app's background worker, so the dialog
never freezes on a dead server or a locked keyring. Results come back on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from assist import secrets
from assist.remote.errors import RemoteError
from assist.remote.setup import API_KEY_ENV, api_key, check_connection, redacted_categories
from assist.settings import Settings
from ui.settings_fields import help_label

# runs ``fn(cancel)`` off the UI thread: (fn, on_result, on_error) -> None
RunTask = Callable[
    [Callable[[Any], Any], Callable[[Any], None], Callable[[BaseException], None]], None
]


class RemoteBox(QGroupBox):
    """API key (to the keyring on Save), connection test, redaction summary."""

    def __init__(self, values: Callable[..., Settings | None], run_task: RunTask | None) -> None:
        """``values(show_errors=True)``: the dialog's current, validated field values."""
        super().__init__("Server access")
        self._values, self._run = values, run_task
        self.keyring_ok: bool | None = None  # unknown until the background probe answers
        column = QVBoxLayout(self)
        self.keyring_label = QLabel("Checking the OS keyring…")
        self.keyring_label.setWordWrap(True)
        column.addWidget(self.keyring_label)
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("unchanged")
        self.key_edit.setAccessibleName("Remote server API key")
        key_label = QLabel("API key")
        key_label.setBuddy(self.key_edit)
        column.addWidget(key_label)
        column.addWidget(self.key_edit)
        column.addWidget(
            help_label(
                "Sent as 'Authorization: Bearer <key>'. Kept in the OS keyring, never in the "
                "settings file. Empty: unchanged (a server without keys needs none)."
            )
        )
        row = QHBoxLayout()
        self.test_button = QPushButton("Test connection")
        self.test_button.setAccessibleName("Test the connection to the remote server")
        self.test_button.clicked.connect(self.test_connection)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        row.addWidget(self.test_button)
        row.addWidget(self.result_label, 1)
        column.addLayout(row)
        self.redaction_label = help_label("")
        column.addWidget(self.redaction_label)
        self.update_redaction()
        if self._run is not None:
            self._run(lambda c: secrets.keyring_available(), self._keyring_known, self._failed)
        else:
            self._keyring_known(secrets.keyring_available())

    @property
    def widgets(self) -> list[Any]:
        """Focusable inputs in order (the dialog's tab chain)."""
        return [self.key_edit, self.test_button]

    def _keyring_known(self, state: tuple[bool, str]) -> None:
        ok, why = state
        self.keyring_ok = ok
        if ok:
            self.keyring_label.setText("The API key is kept in the OS keyring.")
        else:
            self.keyring_label.setText(
                f"Remote drafting is off until the key can be stored: {why}. The local model "
                f"keeps working. (For scripts: set {API_KEY_ENV}.)"
            )
        self.key_edit.setEnabled(ok)

    def update_redaction(self) -> None:
        values = self._values(show_errors=False) or Settings()
        hidden = redacted_categories(values)
        if hidden:
            text = "Redaction is on: " + ", ".join(hidden) + " are replaced by placeholders "
            text += "before anything is sent, and put back in the reply."
        else:
            text = "Redaction is off: the server sees the conversation as it is."
        self.redaction_label.setText(text)

    def typed_key(self) -> str:
        return self.key_edit.text().strip()

    def test_connection(self) -> None:
        values = self._values()
        if values is None:
            return  # the dialog showed which field is invalid
        if not values["remote.url"].strip():
            self.result_label.setText("Set the server URL first.")
            return
        typed = self.typed_key()
        self.test_button.setEnabled(False)
        self.result_label.setText("Connecting…")

        def work(cancel: Any) -> tuple[list[str], float]:
            key = typed
            if not key:
                try:
                    key = api_key() or ""
                except secrets.KeyringUnavailable:
                    key = ""
            return check_connection(values, key or None)

        if self._run is not None:
            self._run(work, self._tested, self._failed)
        else:
            try:
                self._tested(work(None))
            except Exception as e:
                self._failed(e)

    def _tested(self, result: tuple[list[str], float]) -> None:
        ids, ms = result
        shown = ", ".join(ids[:4]) + (f" and {len(ids) - 4} more" if len(ids) > 4 else "")
        self.result_label.setText(f"Connected in {ms:.0f} ms; models: {shown or 'none listed'}")
        self.test_button.setEnabled(True)

    def _failed(self, error: BaseException) -> None:
        message = error.message if isinstance(error, RemoteError) else str(error)
        self.result_label.setText(f"Failed: {message}")
        self.test_button.setEnabled(True)
