"""`assist models build | list | verify | export`: the model cache from the user's side."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

from assist import artifacts
from assist.artifacts import ModelError
from assist.paths import models_dir


def _build(args: argparse.Namespace) -> int:
    try:
        from models.build import RECIPES, build
    except ImportError as e:
        print(
            f"assist models build: needs the build tools ({e.name} is missing): run "
            "`./dev setup` in a checkout, or `pip install -e .[build]`",
            file=sys.stderr,
        )
        return 1
    unknown = [c for c in args.components if c not in RECIPES]
    if unknown:
        print(
            f"assist models build: unknown component(s) {unknown}; choose from {list(RECIPES)}",
            file=sys.stderr,
        )
        return 2
    build(args.components or None, force=args.force)
    return 0


def _list(args: argparse.Namespace) -> int:
    root = models_dir()
    print(f"models in {root}")
    for component in artifacts.COMPONENTS:
        try:
            art = artifacts.locate(component, root)
        except ModelError as e:
            print(f"  {component:8} not available: {e}")
            continue
        size = sum(art.file(f).stat().st_size for f in art.files if art.file(f).exists())
        metrics = art.card.get("metrics", {})
        shown = ", ".join(f"{k}={v}" for k, v in list(metrics.items())[:4]) if metrics else ""
        print(f"  {component:8} {art.recipe_hash}  {size / 1e6:7.1f} MB  {shown}")
    _list_llms(root)
    return 0


def _list_llms(root: Path) -> None:
    """The language models `llm.model` can name; `*` marks the one the settings select."""
    from assist.runtime.installed import BUNDLED_NAME, installed_models
    from assist.settings import Settings, SettingsError

    try:
        chosen = Settings.load()["llm.model"] or BUNDLED_NAME
    except (SettingsError, OSError) as e:
        print(f"  (settings unreadable: {e})")
        chosen = BUNDLED_NAME
    models = installed_models(root)
    print("language models (setting llm.model; * = in use)")
    for m in models:
        mark = "*" if m.name == chosen else " "
        print(f"  {mark} {m.name:24} {m.size_bytes / 1e6:9.1f} MB  {m.source:7}  {m.path}")
    if chosen not in {m.name for m in models}:
        print(f"  llm.model = {chosen!r} is not installed: drafts are off until it is fixed")


def _smoke_text() -> None:
    from assist.runtime.text_models import TextModels

    TextModels.load().smoke()


def _smoke_llm() -> None:
    from assist.runtime.generator import Generator

    Generator.load().smoke()


# what a smoke inference needs, and how to run it
SMOKE: dict[str, tuple[tuple[str, ...], Callable[[], None]]] = {
    "text models": (("encoder", "heads"), _smoke_text),
    "llm": (("llm",), _smoke_llm),
}


def _verify(args: argparse.Namespace) -> int:
    """sha256 of every file against the manifest, then one real inference per model."""
    problems: list[str] = []
    intact = []
    for component in artifacts.COMPONENTS:
        try:
            found = artifacts.check_files(artifacts.locate(component))
        except ModelError as e:
            found = [str(e)]
        problems.extend(found)
        if not found:
            intact.append(component)
    for name, (needs, smoke) in SMOKE.items():
        if not all(c in intact for c in needs):
            continue
        try:
            smoke()
            print(f"{name}: files ok, smoke inference ok")
        except ModelError as e:
            problems.append(str(e))
    for line in problems:
        print(f"assist models verify: {line}", file=sys.stderr)
    return 1 if problems else 0


def _export(args: argparse.Namespace) -> int:
    try:
        # by name, as models.build loads its recipes: the build code is not type-checked
        export_folder = importlib.import_module("models.export_hf").export_folder
    except ImportError as e:
        print(
            f"assist models export: needs the build tools ({e.name} is missing): run "
            "`./dev setup` in a checkout, or `pip install -e .[build]`",
            file=sys.stderr,
        )
        return 1
    print(f"exporting {args.hf} as {args.name!r} (int4 ONNX; minutes for a big model) ...")
    try:
        folder = export_folder(Path(args.hf), args.name, force=args.force)
    except ModelError as e:  # ExportError: the reason and what to do
        print(f"assist models export: {e}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"installed {args.name!r}: {folder} ({size / 1e6:.1f} MB)")
    print(f"use it for drafts with the setting llm.model = {args.name!r}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.models_cmd == "retrain":
        from assist.cli.retrain_cmd import run as retrain

        return retrain(args)
    commands = {"build": _build, "list": _list, "verify": _verify, "export": _export}
    return commands[args.models_cmd](args)
