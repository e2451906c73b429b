"""Shared helpers for recipes: the recipe hash that keys the model cache."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from assist.artifacts import sha256_file

HERE = Path(__file__).resolve().parent


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def recipe_hash(
    component: str,
    sources: Iterable[Path],
    data: Iterable[Path] = (),
    extra: dict[str, Any] | None = None,
) -> str:
    """16 hex digits over the recipe's code, its input data and anything else that matters.

    Change any of them and the cache key changes, so a stale artifact is never reused.
    """
    h = hashlib.sha256(component.encode())
    for src in sorted({Path(s).resolve() for s in [*sources, HERE / "common.py"]}):
        h.update(src.name.encode())
        h.update(src.read_bytes())
    for d in sorted(Path(p) for p in data):
        h.update(d.name.encode())
        h.update(sha256_file(d).encode())
    h.update(json.dumps(extra or {}, sort_keys=True).encode())
    return h.hexdigest()[:16]
