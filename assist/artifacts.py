"""The built-model store: one folder per component and recipe hash, with a manifest.

Layout: ``<models_dir>/<component>/<recipe_hash>/`` holds the files and ``manifest.json``
(``{"component", "recipe_hash", "files": {relpath: sha256}, "card": {...}}``);
``<models_dir>/<component>/current`` names the hash in use. The runtime only reads this; the
recipes in ``models/`` write it through :func:`publish`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assist.bundle import frozen, model_fix_hint
from assist.paths import models_dir

COMPONENTS = ("encoder", "heads", "llm")
MANIFEST = "manifest.json"


class ModelError(RuntimeError):
    """A model artifact is missing or damaged; the message says which file and how to fix it."""


@dataclass(frozen=True)
class Artifact:
    component: str
    recipe_hash: str
    path: Path
    files: dict[str, str]
    card: dict[str, Any]

    def file(self, relpath: str) -> Path:
        return self.path / relpath


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _rebuild_hint(component: str) -> str:
    # a packaged app cannot rebuild its models: it says to reinstall (assist.bundle)
    return model_fix_hint(component)


def current_hash(component: str, root: Path | None = None) -> str | None:
    pointer = (root or models_dir()) / component / "current"
    try:
        return pointer.read_text().strip() or None
    except FileNotFoundError:
        return None


def locate(component: str, root: Path | None = None) -> Artifact:
    """The artifact in use for ``component``; raises ModelError with a fix if absent."""
    root = root or models_dir()
    digest = current_hash(component, root)
    if digest is None:
        if frozen():  # a packaged app's models are installed with it, not built
            raise ModelError(
                f"model '{component}' is missing from {root}: {model_fix_hint(component)}"
            )
        raise ModelError(f"model '{component}' is not built in {root}: run `assist models build`")
    path = root / component / digest
    manifest_path = path / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise ModelError(
            f"model '{component}': {manifest_path} is missing; {_rebuild_hint(component)}"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelError(
            f"model '{component}': {manifest_path} is corrupt ({e}); {_rebuild_hint(component)}"
        ) from None
    return Artifact(component, digest, path, dict(manifest["files"]), dict(manifest["card"]))


def check_files(artifact: Artifact) -> list[str]:
    """One line per missing or changed file (sha256 against the manifest); empty if all good."""
    problems = []
    for rel, digest in artifact.files.items():
        f = artifact.file(rel)
        if not f.exists():
            problems.append(f"{f}: missing; {_rebuild_hint(artifact.component)}")
        elif sha256_file(f) != digest:
            problems.append(
                f"{f}: sha256 mismatch (truncated or corrupt); {_rebuild_hint(artifact.component)}"
            )
    return problems


def publish(
    component: str, recipe_hash: str, staging: Path, card: dict[str, Any], root: Path | None = None
) -> Artifact:
    """Move a finished build from ``staging`` into the store and make it current.

    The files are hashed into the manifest (and the card) so ``verify`` can tell damage apart.
    """
    root = root or models_dir()
    files = {
        str(p.relative_to(staging)): sha256_file(p)
        for p in sorted(staging.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    card = {**card, "component": component, "recipe_hash": recipe_hash, "sha256": files}
    manifest = {"component": component, "recipe_hash": recipe_hash, "files": files, "card": card}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    dest = root / component / recipe_hash
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(staging), str(dest))
    tmp = root / component / "current.tmp"
    tmp.write_text(recipe_hash)
    os.replace(tmp, root / component / "current")
    return locate(component, root)
