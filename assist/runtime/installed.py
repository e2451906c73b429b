"""The local language models the app can draft replies with: the bundled one and the user's.

The bundled model is the ``llm`` artifact of the store (``assist.artifacts``). A user's model
is one folder per name under ``<models_dir>/user/``, written by ``assist models export --hf``
(``models/export_hf.py``) with the bundled artifact's layout: ``onnx/`` (the
onnxruntime-genai model) and ``manifest.json`` (sha256 of every file). The setting
``llm.model`` names the one in use ("" = the bundled model).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assist import artifacts
from assist.artifacts import MANIFEST, ModelError
from assist.paths import models_dir

BUNDLED_NAME = "smollm2-135m"
BUNDLED_TITLE = "SmolLM2-135M int4"  # how the status bar names the bundled model
USER_DIR = "user"  # under the models dir
ONNX_DIR = "onnx"  # inside a model folder, as in the bundled artifact
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # a model name is a folder name


@dataclass(frozen=True)
class InstalledModel:
    name: str
    path: Path  # the onnx folder (what ``Generator`` loads)
    size_bytes: int
    source: Literal["bundled", "user"]


def user_root(root: Path | None = None) -> Path:
    """Where exported models live (not created here)."""
    return (root or models_dir()) / USER_DIR


def _manifest_size(folder: Path, files: dict[str, str]) -> int:
    total = 0
    for rel in files:
        f = folder / rel
        if f.exists():
            total += f.stat().st_size
    return total


def read_user_model(folder: Path) -> InstalledModel | None:
    """The model in one ``user/<name>`` folder, or None if it is not a complete export."""
    onnx = folder / ONNX_DIR
    if folder.name.startswith(".") or not (onnx / "genai_config.json").is_file():
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        files = dict(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return InstalledModel(folder.name, onnx, _manifest_size(folder, files), "user")


def installed_models(root: Path | None = None) -> list[InstalledModel]:
    """The bundled model (if built), then the user's, by name."""
    found: list[InstalledModel] = []
    try:
        art = artifacts.locate("llm", root)
    except ModelError:
        pass
    else:
        found.append(
            InstalledModel(
                BUNDLED_NAME, art.file(ONNX_DIR), _manifest_size(art.path, art.files), "bundled"
            )
        )
    users = user_root(root)
    if users.is_dir():
        for folder in sorted(users.iterdir()):
            if folder.is_dir() and (model := read_user_model(folder)) is not None:
                found.append(model)
    return found


def _unknown(name: str, models: list[InstalledModel]) -> ModelError:
    names = ", ".join(m.name for m in models) or "none"
    return ModelError(
        f"no installed language model named {name!r} (installed: {names}); see "
        "`assist models list`, add one with `assist models export --hf DIR --name NAME`, "
        "or clear the setting llm.model to use the bundled model"
    )


def resolve(name: str, root: Path | None = None) -> Path:
    """The onnx folder of the installed model ``name`` ("" = the bundled one)."""
    if not name or name == BUNDLED_NAME:
        return artifacts.locate("llm", root).file(ONNX_DIR)  # ModelError if not built
    folder = user_root(root) / name
    model = read_user_model(folder) if NAME_RE.fullmatch(name) and folder.is_dir() else None
    if model is None:
        raise _unknown(name, installed_models(root))
    return model.path


def selected_user_model(name: str, root: Path | None = None) -> Path | None:
    """For ``Engine.load``: None when ``name`` means the bundled model (loaded from the
    store, checked against its manifest), else the user model's onnx folder."""
    if not name or name == BUNDLED_NAME:
        return None
    return resolve(name, root)


def local_model_name(setting: str) -> str:
    """What the status bar calls the model ``llm.model`` selects."""
    return BUNDLED_TITLE if not setting or setting == BUNDLED_NAME else setting


def model_choices(current: str, root: Path | None = None) -> list[tuple[str, str]]:
    """(value for ``llm.model``, label) for the settings' model list: the bundled model as ""
    (the default), then the user's; a ``current`` value that is not installed (any more) is
    kept as a choice saying so, so opening Settings never changes the setting silently."""
    choices = []
    for m in installed_models(root):
        size = f"{m.size_bytes / 1e6:,.0f} MB"
        if m.source == "bundled":
            choices.append(("", f"{BUNDLED_TITLE}, bundled, fine-tuned for replies ({size})"))
        else:
            choices.append((m.name, f"{m.name} ({size})"))
    if not any(value == "" for value, _ in choices):
        choices.insert(0, ("", f"{BUNDLED_TITLE}, bundled (not built yet)"))
    if current and current != BUNDLED_NAME and all(v != current for v, _ in choices):
        choices.append((current, f"{current} (not installed)"))
    return choices
