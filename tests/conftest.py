"""Test-wide fixtures: no test ever touches the real profile or the real OS keyring."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest

from tests.keyring_memory import MemoryKeyring


@pytest.fixture(autouse=True)
def isolated_profile(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point ASSIST_HOME at a fresh temp dir; the model cache stays shared (read-only use)."""
    home = tmp_path_factory.mktemp("assist-home")
    monkeypatch.setenv("ASSIST_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    yield home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test gets an empty in-memory keyring; the previous backend is put back after.

    The previous one is read from keyring's module state, not ``get_keyring()``: that would
    initialise (and probe) the real OS backends just to save them.
    """
    previous = getattr(keyring.core, "_keyring_backend", None)
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.core._keyring_backend = previous


@pytest.fixture
def app_log() -> Iterator[Path]:
    """The profile's log file, as the app and `assist serve` set it up; the handler comes off
    the root logger afterwards."""
    import logging

    from assist.logs import setup_logging

    path = setup_logging()
    yield path
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "assist_log", False)]:
        handler.close()
        root.removeHandler(handler)


# Qt widgets are tested without a display (pytest-qt reads this before creating the QApplication)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
