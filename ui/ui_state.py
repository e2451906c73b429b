"""Where the windows were: geometry of the main window and of the compact panel.

Why not a setting: it is not something a user sets, it is remembered. It lives beside the
settings (``ui-state.toml`` in the profile dir) and a broken file is simply ignored.
"""

from __future__ import annotations

import os
import tomllib

import tomli_w
from PySide6.QtCore import QByteArray

from assist.paths import profile_dir

FILENAME = "ui-state.toml"


def load() -> dict[str, str]:
    path = profile_dir() / FILENAME
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return {k: v for k, v in raw.items() if isinstance(v, str)}


def save(state: dict[str, str]) -> None:
    path = profile_dir() / FILENAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(state), encoding="utf-8")
    os.replace(tmp, path)


def encode(data: QByteArray) -> str:
    return bytes(data.toBase64().data()).decode("ascii")


def decode(text: str) -> QByteArray:
    return QByteArray.fromBase64(QByteArray(text.encode("ascii")))
