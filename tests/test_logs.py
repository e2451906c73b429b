"""The log file: secrets the app knows never reach it, however they were logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from assist import secrets
from assist.logs import log_path, register_secret, setup_logging

SECRET = "sk-log-TEST-24680"


@pytest.fixture
def log_file() -> Iterator[Path]:
    path = setup_logging()
    yield path
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "assist_log", False)]:
        handler.close()
        root.removeHandler(handler)


def read(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_registered_secrets_are_scrubbed_from_messages_args_and_tracebacks(
    log_file: Path,
) -> None:
    register_secret(SECRET)
    log = logging.getLogger("assist.test")
    log.warning("calling with key %s", SECRET)
    log.warning(f"formatted early: Bearer {SECRET}")
    try:
        raise RuntimeError(f"server echoed {SECRET}")
    except RuntimeError:
        log.exception("request failed")
    text = read(log_file)
    assert SECRET not in text
    assert text.count("***") >= 3 and "RuntimeError: server echoed ***" in text


def test_secrets_from_the_keyring_are_registered(log_file: Path) -> None:
    secrets.set_secret("remote.api_key", "sk-stored-in-the-keyring-1")
    secrets.get_secret("remote.api_key")
    logging.getLogger("assist.test").error("key sk-stored-in-the-keyring-1 refused")
    assert "sk-stored-in-the-keyring-1" not in read(log_file)


def test_a_new_profile_gets_its_own_log(
    log_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSIST_HOME", str(tmp_path))
    moved = setup_logging()
    assert moved == log_path() and moved.parent.parent == tmp_path
    logging.getLogger("assist.test").warning("after the move")
    assert "after the move" in read(moved)
    assert "after the move" not in (read(log_file) if log_file.exists() else "")
