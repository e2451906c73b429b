"""The packaged (PyInstaller) build: where its bundled files are, and what start-up sets.

A frozen build carries the built models in ``<bundle>/models`` (the same layout as the model
cache, :mod:`assist.artifacts`); :func:`configure` points ``ASSIST_MODELS_DIR`` there unless the
user set it. The profile stays in the platform's config dir (``ASSIST_HOME`` overrides), and
``resources/`` is read through :mod:`importlib.resources` as from a checkout.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

MODELS_FOLDER = "models"


def frozen() -> bool:
    """True in the packaged app (PyInstaller sets ``sys.frozen``)."""
    return bool(getattr(sys, "frozen", False))


def bundle_dir() -> Path | None:
    """The folder the packaged app unpacked its files into (``sys._MEIPASS``); None from source."""
    if not frozen():
        return None
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) if base else Path(sys.executable).resolve().parent


def bundled_models_dir() -> Path | None:
    base = bundle_dir()
    return base / MODELS_FOLDER if base is not None else None


def configure() -> None:
    """Called first thing by ``assist.cli.main``: a frozen app reads its bundled models."""
    models = bundled_models_dir()
    if models is not None and not os.environ.get("ASSIST_MODELS_DIR"):
        os.environ["ASSIST_MODELS_DIR"] = str(models)


def model_fix_hint(component: str) -> str:
    """How to repair a missing or damaged model: a bundle is reinstalled, a cache rebuilt."""
    if frozen() and os.environ.get("ASSIST_MODELS_DIR") == str(bundled_models_dir()):
        return "the models shipped with Assist are missing or damaged: reinstall Assist"
    return f"rebuild it with `assist models build --force {component}`"
