"""Build every model component into the cache, skipping those whose recipe hash is current.

Run as ``assist models build`` (or ``python -m models.build``). Components are built in order,
since the heads depend on the encoder; each recipe module lists what it hashes.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from assist import artifacts
from assist.paths import models_dir

# component -> recipe module, in build order
RECIPES = {"encoder": "models.encoder", "heads": "models.heads", "llm": "models.llm"}


def recipe(component: str) -> ModuleType:
    return importlib.import_module(RECIPES[component])


def is_current(component: str, root: Path) -> bool:
    """The current version was built from today's recipe, or retrained from it with the
    agents' feedback (``<recipe>-fb<export sha>``, ``assist models retrain``): a build must
    not throw the agents' corrections away while the recipe they refined is unchanged."""
    digest = recipe(component).recipe_hash()
    current = artifacts.current_hash(component, root) or ""
    if current != digest and not current.startswith(f"{digest}-fb"):
        return False
    try:
        return not artifacts.check_files(artifacts.locate(component, root))
    except artifacts.ModelError:
        return False


def build(
    components: list[str] | None = None, force: bool = False, root: Path | None = None, log=print
) -> list[str]:
    """Build what is missing or stale; returns the components that were (re)built."""
    root = root or models_dir()
    built = []
    for component in components or list(RECIPES):
        mod = recipe(component)
        if not force and is_current(component, root):
            log(f"{component}: up to date ({mod.recipe_hash()})")
            continue
        digest = mod.recipe_hash()
        log(f"{component}: building recipe {digest} ...")
        start = time.perf_counter()
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{component}-", dir=root))
        try:
            card = mod.build_into(staging)
            card.setdefault("build_seconds", round(time.perf_counter() - start, 1))
            artifacts.publish(component, digest, staging, card, root)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        log(f"{component}: built in {time.perf_counter() - start:.1f} s")
        built.append(component)
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.build")
    parser.add_argument("components", nargs="*", choices=[*RECIPES, []])
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    build(args.components or None, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
