"""The main window's two doors to the team: flag a chat for a supervisor, and supervisor mode.

Kept apart from ``main_window`` because neither is part of answering customers: flagging asks
for a note and hands it to the controller (the team store, or its outbox when offline);
supervisor mode asks for the passphrase (``ui.supervisor.ask_supervisor_role``) and opens the
supervisor window on its own task runner, so a slow search over the team's chats never
delays the agent's own writes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QWidget

from ui.controller import Controller
from ui.supervisor import SupervisorWindow, ask_supervisor_role
from ui.tasks import TaskRunner


class TeamActions:
    def __init__(self, window: QWidget, controller: Controller) -> None:
        self.window = window
        self.controller = controller
        self.tasks: TaskRunner | None = None  # made on first use: most agents never need it
        self.supervisor: SupervisorWindow | None = None
        self.note_dialog: QInputDialog | None = None

    def flag(self, cid: str | None, note: str | None = None) -> None:
        """Flag ``cid`` with ``note``; without a note, ask for one first (not modal)."""
        if cid is None:
            return
        if note is not None:
            self.controller.flag(cid, note.strip() or "flagged by the agent")
            return
        dialog = self.note_dialog = QInputDialog(self.window)
        dialog.setWindowTitle("Flag for a supervisor")
        dialog.setLabelText("What should the supervisor look at? (a short note)")
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        dialog.textValueSelected.connect(lambda text: self.flag(cid, text))
        dialog.open()

    def supervisor_mode(self) -> None:
        """Ask for the supervisor passphrase, then open (or raise) the supervisor window."""
        if self.supervisor is not None and self.supervisor.isVisible():
            self.supervisor.raise_()
            self.supervisor.activateWindow()
            return
        if self.tasks is None:
            self.tasks = TaskRunner("assist-supervisor")
        ask_supervisor_role(self.window, self.tasks, self._url(), self._granted)

    def _url(self) -> str | None:
        return str(self.controller.settings["store.url"] or "").strip() or None

    def _granted(self) -> None:
        assert self.tasks is not None
        actor = self.controller.agent
        self.supervisor = SupervisorWindow(self.tasks, self._url(), actor)
        self.supervisor.show()

    def close(self) -> None:
        if self.supervisor is not None:
            self.supervisor.close()
        if self.tasks is not None:
            self.tasks.shutdown(timeout=5.0)
