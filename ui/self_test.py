"""`assist app --self-test` (and ``Assist --self-test`` in the packaged app): no window shown.

The Qt side of the check: a QApplication on the ``offscreen`` platform (unless one is set) and
the main window built but never shown, so a bundle missing Qt libraries or plugins fails here;
then the engine checks of :mod:`assist.self_test`. Prints one JSON line; exit code 0 if all
passed, 1 with the reason on stderr if not. The same line goes to ``<profile>/self-test.log``:
a windowed app on Windows has no stdout or stderr to print to.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from typing import Any


def _qt_check() -> dict[str, Any]:
    from PySide6.QtCore import qVersion
    from PySide6.QtWidgets import QApplication

    from assist.settings import Settings
    from ui import theme
    from ui.controller import Controller
    from ui.main_window import MainWindow

    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    start = time.perf_counter()
    settings = Settings()
    dark = theme.apply(qapp, settings["ui.theme"])
    controller = Controller(settings, generate=False)
    window = MainWindow(controller, dark=dark)
    try:
        window.resize(900, 600)
        if window.grab().isNull():
            raise RuntimeError("Qt could not render the main window")
    finally:
        controller.shutdown()
        window.compact.deleteLater()
        window.deleteLater()
        qapp.processEvents()
    return {
        "qt": qVersion(),
        "qt_platform": qapp.platformName(),
        "window_s": round(time.perf_counter() - start, 2),
    }


LOG = "self-test.log"


def _report(line: str, error: bool = False) -> None:
    stream = sys.stderr if error else sys.stdout
    if stream is not None:  # None in a windowed app on Windows
        print(line, file=stream, flush=True)
    from assist.paths import profile_dir

    with contextlib.suppress(OSError):  # no profile: the exit code still says it
        (profile_dir() / LOG).write_text(line + "\n", encoding="utf-8")


def run(generate: bool = True) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from assist.artifacts import ModelError
    from assist.self_test import run_self_test

    try:
        qt = _qt_check()
        summary = run_self_test(generate=generate)
    except ModelError as e:
        _report(f"assist self-test: FAILED: models: {e}", error=True)
        return 1
    except Exception as e:  # anything else broken in the install: say what, fail
        _report(f"assist self-test: FAILED: {type(e).__name__}: {e}", error=True)
        return 1
    _report(json.dumps({**summary, **qt}))
    return 0
