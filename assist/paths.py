"""Where Assist keeps things: the profile (config, feedback, KB), the model cache, the data.

``ASSIST_HOME`` overrides the profile dir (tests point it at a temp dir), ``ASSIST_CACHE_DIR``
the cache, ``ASSIST_DATA_DIR`` the training data used by the model recipes and ``assist eval``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "assist"


def profile_dir() -> Path:
    env = os.environ.get("ASSIST_HOME")
    path = Path(env) if env else platformdirs.user_config_path(APP, appauthor=False)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    env = os.environ.get("ASSIST_CACHE_DIR")
    path = Path(env) if env else platformdirs.user_cache_path(APP, appauthor=False)
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """Root of the built model artifacts (``ASSIST_MODELS_DIR`` for a bundled app)."""
    env = os.environ.get("ASSIST_MODELS_DIR")
    path = Path(env) if env else cache_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The shared public datasets (``../shared/data`` beside the checkout by default)."""
    env = os.environ.get("ASSIST_DATA_DIR")
    if env:
        return Path(env)
    return repo_root().parent / "shared" / "data"
