"""The supervisor passphrase gate: the dialog between an agent's app and supervisor mode.

Why a team passphrase in the store: supervisor mode reads every agent's conversations, so it
needs more than a menu entry; the passphrase is the team's, kept (as a salted hash only) in
the team database, so one setting-up works for every supervisor's machine. The first person to
open supervisor mode on a team without one sets it up (typed twice, at least 8 characters).

The dialog never blocks: opening the store, checking for a passphrase and verifying one (scrypt,
tens of milliseconds on purpose) run on the task runner, with the buttons disabled meanwhile.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.supervisor.data import PASSPHRASE_MIN_LENGTH, SupervisorData
from ui.tasks import TaskRunner
from ui.widgets import bold

MIN = PASSPHRASE_MIN_LENGTH


def secret(name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setAccessibleName(name)
    return edit


class PassphraseGate(QDialog):
    """States: ``connecting`` -> ``setup`` (no passphrase yet) | ``verify`` | ``problem``."""

    granted = Signal()

    def __init__(self, data: SupervisorData, actor: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.data, self.actor = data, actor
        self.state = "connecting"
        self.setWindowTitle("Supervisor mode")
        self.setAccessibleName("supervisor passphrase")
        self.heading = bold(QLabel(), 1.15)
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("passphrase message")
        self.passphrase = secret("supervisor passphrase")
        self.new1, self.new2 = secret("new passphrase"), secret("repeat the new passphrase")
        self.pages = QStackedWidget()
        self.pages.addWidget(QWidget())  # connecting / problem: nothing to type
        verify = QWidget()
        QFormLayout(verify).addRow("Passphrase", self.passphrase)
        self.pages.addWidget(verify)
        setup = QWidget()
        form = QFormLayout(setup)
        form.addRow("New passphrase", self.new1)
        form.addRow("Repeat it", self.new2)
        self.pages.addWidget(setup)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = QPushButton("Continue")
        self.ok.setAccessibleName("continue")
        self.retry = QPushButton("Retry")
        self.retry.setAccessibleName("retry connecting")
        self.buttons.addButton(self.ok, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.retry, QDialogButtonBox.ButtonRole.ActionRole)
        box = QVBoxLayout(self)
        for w in (self.heading, self.explain, self.pages, self.message, self.buttons):
            box.addWidget(w)
        self.ok.clicked.connect(self.submit)
        self.retry.clicked.connect(self.connect_store)
        self.buttons.rejected.connect(self.reject)
        self.finished.connect(lambda _r: self.data.close())
        self.resize(self.fontMetrics().horizontalAdvance("m") * 38, self.sizeHint().height())
        self.connect_store()

    def _show(self, state: str, heading: str, explain: str, message: str = "") -> None:
        self.state = state
        self.heading.setText(heading)
        self.explain.setText(explain)
        self.message.setText(message)
        self.pages.setCurrentIndex({"verify": 1, "setup": 2}.get(state, 0))
        self.ok.setVisible(state in ("verify", "setup"))
        # Enter presses Continue (or Retry); set once the buttons are inside the dialog
        (self.retry if state == "problem" else self.ok).setDefault(True)
        self.ok.setEnabled(True)
        self.retry.setVisible(state == "problem")
        focus = {"verify": self.passphrase, "setup": self.new1}.get(state)
        if focus is not None:
            focus.setFocus()

    def _busy(self, text: str) -> None:
        self.ok.setEnabled(False)
        self.message.setText(text)

    # -- steps ---------------------------------------------------------------------------

    def connect_store(self) -> None:
        self._show("connecting", "Supervisor mode", "Connecting to the team store…")
        self.retry.setVisible(False)
        self.data.open(self._opened, self._problem)

    def _opened(self, _location: str) -> None:
        self.data.has_passphrase(self._has, self._problem)

    def _has(self, has: bool) -> None:
        if has:
            self._show(
                "verify",
                "Enter the supervisor passphrase",
                "Supervisor mode shows every agent's flagged conversations.",
            )
        else:
            self._show(
                "setup",
                "Set up the supervisor passphrase",
                "This team has no supervisor passphrase yet. Choose one (at least "
                f"{MIN} characters) and share it only with supervisors; only a salted hash of "
                "it is stored in the team database.",
            )

    def _problem(self, e: BaseException) -> None:
        self._show(
            "problem",
            "The team store cannot be reached",
            "Supervisor mode needs the team database. Check the store.url setting and the "
            "network, then retry.",
            str(e),
        )

    def submit(self) -> None:
        if self.state == "verify":
            candidate = self.passphrase.text()
            if not candidate:
                self.message.setText("Type the passphrase first.")
                return
            self._busy("Checking…")
            self.data.verify_passphrase(candidate, self._verified, self._failed)
        elif self.state == "setup":
            a, b = self.new1.text(), self.new2.text()
            if len(a) < MIN:
                self.message.setText(f"The passphrase needs at least {MIN} characters.")
            elif a != b:
                self.message.setText("The two passphrases differ. Type the same one twice.")
                self.new2.clear()
                self.new2.setFocus()
            else:
                self._busy("Saving…")
                self.data.set_passphrase(a, self.actor, self._set, self._failed)

    def _verified(self, ok: bool) -> None:
        if ok:
            self._grant()
            return
        self.ok.setEnabled(True)
        self.passphrase.clear()
        self.passphrase.setFocus()
        self.message.setText("That is not the supervisor passphrase. Try again.")

    def _set(self, _: Any) -> None:
        self.new1.clear()
        self.new2.clear()
        self._grant()

    def _failed(self, e: BaseException) -> None:
        self.ok.setEnabled(True)
        if isinstance(e, PermissionError | ValueError):
            self.message.setText(str(e))
        else:
            self._problem(e)

    def _grant(self) -> None:
        self.passphrase.clear()
        self.granted.emit()
        self.accept()


def ask_supervisor_role(
    parent: QWidget | None,
    tasks: TaskRunner,
    store_url: str | None,
    on_granted: Callable[[], None],
    actor: str | None = None,
) -> PassphraseGate:
    """Open the passphrase gate (non-modal to the event loop: ``open``, not ``exec``) and call
    ``on_granted`` once the passphrase is verified or has been set up. ``actor`` names who
    sets the passphrase in the audit log (default: the OS user). Returns the dialog."""
    data = SupervisorData(tasks, store_url)
    gate = PassphraseGate(data, actor or _user(), parent)
    gate.granted.connect(on_granted)
    gate.open()
    return gate


def _user() -> str:
    try:
        return getpass.getuser() or "supervisor"
    except (KeyError, OSError):
        return "supervisor"
