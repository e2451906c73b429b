"""The app with a remote server (offscreen Qt, the fault server on 127.0.0.1, the memory keyring):
the key typed in Settings goes to the keyring only; drafts come from the server and say so;
a refused key is a clear message; afterwards no file in the profile, the log included, holds
the key. And the Settings page itself: Test connection, the keyring notice, redaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail

from assist import secrets
from assist.events import GenerationFailed
from assist.logs import log_path
from assist.profile import load_profile
from assist.remote.setup import API_KEY_SECRET
from assist.settings import Settings
from assist.types import Message
from tests.fault_server import FaultServer, running
from tests.keyring_memory import MemoryKeyring
from ui.controller import Controller
from ui.main_window import MainWindow
from ui.settings_dialog import SettingsDialog
from ui.tasks import TaskRunner

pytestmark = pytest.mark.slow
KEY = "sk-live-UI-TEST-5566778899"


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultServer]:
    with running() as srv:
        yield srv


def remote_settings(faults: FaultServer, case: str) -> Settings:
    url = f"http://127.0.0.1:{faults.server_address[1]}/{case}"
    return Settings({"remote.url": url, "remote.mode": "remote", "remote.model": "big-model"})


def test_a_remote_session_keeps_the_key_in_the_keyring_only(
    qtbot: Any,
    faults: FaultServer,
    memory_keyring: MemoryKeyring,
    isolated_profile: Path,
    app_log: Path,
) -> None:
    faults.reply_text = "Thanks! We will write to [EMAIL_1] within a day."
    controller = Controller(remote_settings(faults, "echo"), generate=True)
    win = MainWindow(controller)
    qtbot.addWidget(win)
    states: list[str] = []
    controller.state_changed.connect(lambda s, _d: states.append(s))
    win.show()
    controller.load()
    qtbot.waitUntil(lambda: "ready" in states, timeout=60000)
    try:
        assert "big-model on 127.0.0.1" in win.model_label.text()

        # the key typed in Settings goes to the keyring on Save, never to the settings file
        win.open_settings()
        dialog = win.settings_dialog
        assert isinstance(dialog, SettingsDialog) and dialog.remote_box is not None
        qtbot.waitUntil(lambda: dialog.remote_box.keyring_ok is True, timeout=10000)
        dialog.remote_box.key_edit.setText(KEY)
        dialog.save_button.click()
        qtbot.waitUntil(lambda: memory_keyring.passwords.get(("assist", API_KEY_SECRET)) == KEY)
        qtbot.waitUntil(lambda: "drafting settings applied" in win.message_label.text())

        text = "Hi, please e-mail the invoice to ann.lee@example.org, it's urgent."
        controller.receive(Message("r1", "customer", text, datetime.now(UTC)), "Ann")
        qtbot.waitUntil(lambda: win.panel.cards[1].suggestion is not None, timeout=30000)
        draft = win.panel.cards[1].suggestion
        assert draft is not None and draft.source == "remote"
        assert win.panel.cards[1].source.accessibleName() == "remote draft"
        assert "private value(s) hidden from the server" in win.message_label.text()
        sent = faults.bodies("echo")[-1]
        assert "ann.lee@example.org" not in str(sent) and "[EMAIL_1]" in str(sent)
        headers = [h for c, _, _, h, _ in faults.requests if c == "echo"][-1]
        assert headers["authorization"] == f"Bearer {KEY}"

        # a server that refuses (and echoes) the key: a clear message, the key nowhere
        failed: list[GenerationFailed] = []
        controller.suggestion_event.connect(
            lambda e: failed.append(e) if isinstance(e, GenerationFailed) else None
        )
        controller.use_settings(remote_settings(faults, "e401"), load_profile())
        qtbot.waitUntil(lambda: "e401" in controller.desk.engine.remote.client.config.base_url)
        controller.receive(Message("r1", "customer", "Hello?", datetime.now(UTC)), "Ann")
        qtbot.waitUntil(lambda: bool(failed), timeout=30000)
        assert "refused the API key" in failed[0].error
        assert "refused the API key" in win.message_label.text()
        assert KEY not in failed[0].error and KEY not in win.message_label.text()
    finally:
        controller.shutdown()
        win.close()
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "remote draft failed" in log_path().read_text(encoding="utf-8")
    files = [p for p in isolated_profile.rglob("*") if p.is_file()]
    assert app_log in files and any(p.name == "settings.toml" for p in files)
    for path in files:
        assert KEY.encode() not in path.read_bytes(), f"the API key leaked into {path}"


@pytest.fixture
def dialog(qtbot: Any, faults: FaultServer) -> Iterator[SettingsDialog]:
    runner = TaskRunner("test-io")

    def run(fn: Any, on_result: Any, on_error: Any) -> None:
        runner.submit(fn, on_result=on_result, on_error=on_error)

    url = f"http://127.0.0.1:{faults.server_address[1]}/models"
    dlg = SettingsDialog(Settings({"remote.url": url}), load_profile(), run_task=run)
    qtbot.addWidget(dlg)
    yield dlg
    runner.shutdown()


def test_test_connection_reports_latency_and_models(dialog: SettingsDialog, qtbot: Any) -> None:
    box = dialog.remote_box
    assert box is not None
    box.test_button.click()
    qtbot.waitUntil(lambda: "Connected" in box.result_label.text(), timeout=10000)
    assert "qwen-7b" in box.result_label.text() and " ms" in box.result_label.text()

    dialog.editors["remote.url"].set_value("http://127.0.0.1:9/v1")  # nothing listens
    box.test_button.click()
    qtbot.waitUntil(lambda: "Failed" in box.result_label.text(), timeout=10000)
    assert "cannot connect" in box.result_label.text()


def test_redaction_summary_follows_the_check_boxes(dialog: SettingsDialog) -> None:
    box = dialog.remote_box
    assert box is not None
    assert "Redaction is on" in box.redaction_label.text()
    assert "e-mails" in box.redaction_label.text()
    dialog.editors["remote.redact_emails"].set_value(False)
    assert "e-mails" not in box.redaction_label.text()


def test_without_a_keyring_the_key_field_says_why(qtbot: Any) -> None:
    keyring.set_keyring(fail.Keyring())
    dlg = SettingsDialog(Settings(), load_profile())
    qtbot.addWidget(dlg)
    box = dlg.remote_box
    assert box is not None and box.keyring_ok is False
    assert not box.key_edit.isEnabled()
    assert "Remote drafting is off" in box.keyring_label.text()
    with pytest.raises(secrets.KeyringUnavailable):
        secrets.set_secret(API_KEY_SECRET, KEY)
