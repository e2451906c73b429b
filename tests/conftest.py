"""Test-wide fixtures: no test ever touches the real profile."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


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


# Qt widgets are tested without a display (pytest-qt reads this before creating the QApplication)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
