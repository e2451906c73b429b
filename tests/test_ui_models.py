"""Switching the local reply model from Settings: the controller loads the new one on the
engine worker, the status bar names it, and a model that can't be loaded leaves the old one
drafting with the reason shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assist.profile import example_profile
from assist.settings import Settings
from tests.test_models_export import linked_store, needs_llm
from ui.controller import Controller
from ui.main_window import MainWindow


@pytest.mark.slow
@needs_llm
def test_the_agent_switches_models_and_a_broken_choice_changes_nothing(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSIST_MODELS_DIR", str(linked_store(tmp_path)))
    controller = Controller(Settings())
    window = MainWindow(controller)
    qtbot.addWidget(window)
    states: list[tuple[str, str]] = []
    errors: list[str] = []
    controller.state_changed.connect(lambda s, d: states.append((s, d)))
    controller.error.connect(errors.append)
    try:
        controller.load()
        qtbot.waitUntil(lambda: ("ready", "models ready") in states, timeout=60000)
        assert window.model_label.text() == "model: SmolLM2-135M int4"

        controller.use_settings(Settings({"llm.model": "linked"}), example_profile())
        qtbot.waitUntil(lambda: ("ready", "local model switched") in states, timeout=60000)
        assert window.model_label.text() == "model: linked"
        assert ("loading", "loading the local model…") in states

        controller.use_settings(Settings({"llm.model": "gone"}), example_profile())
        qtbot.waitUntil(lambda: bool(errors), timeout=60000)
        assert errors[0].startswith("local model not switched: no installed language model")
        assert "'gone'" in errors[0]
        qtbot.waitUntil(lambda: ("ready", "local model unchanged") in states, timeout=10000)
        assert window.model_label.text() == "model: linked"  # still drafting with it
        assert controller.desk is not None and controller.desk.engine.generator is not None
    finally:
        controller.shutdown()
