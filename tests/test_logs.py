"""The log file: secrets the app knows never reach it, however they were logged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assist import secrets
from assist.logs import log_path, register_secret, setup_logging

SECRET = "sk-log-TEST-24680"


def read(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_registered_secrets_are_scrubbed_from_messages_args_and_tracebacks(
    app_log: Path,
) -> None:
    register_secret(SECRET)
    log = logging.getLogger("assist.test")
    log.warning("calling with key %s", SECRET)
    log.warning(f"formatted early: Bearer {SECRET}")
    try:
        raise RuntimeError(f"server echoed {SECRET}")
    except RuntimeError:
        log.exception("request failed")
    text = read(app_log)
    assert SECRET not in text
    assert text.count("***") >= 3 and "RuntimeError: server echoed ***" in text


def test_secrets_from_the_keyring_are_registered(app_log: Path) -> None:
    secrets.set_secret("remote.api_key", "sk-stored-in-the-keyring-1")
    secrets.get_secret("remote.api_key")
    logging.getLogger("assist.test").error("key sk-stored-in-the-keyring-1 refused")
    assert "sk-stored-in-the-keyring-1" not in read(app_log)


def test_a_new_profile_gets_its_own_log(
    app_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSIST_HOME", str(tmp_path))
    moved = setup_logging()
    assert moved == log_path() and moved.parent.parent == tmp_path
    logging.getLogger("assist.test").warning("after the move")
    assert "after the move" in read(moved)
    assert "after the move" not in (read(app_log) if app_log.exists() else "")
