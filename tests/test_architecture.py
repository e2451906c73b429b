"""The layering rules that keep the core headless and the app light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_CORE = {
    "PySide6": "the core must stay headless (no Qt)",
    "PyQt5": "the core must stay headless (no Qt)",
    "PyQt6": "the core must stay headless (no Qt)",
    "qtpy": "the core must stay headless (no Qt)",
    "torch": "torch is build-time only (models/)",
    "transformers": "transformers is build-time only (models/)",
    "sklearn": "scikit-learn is build-time only (models/)",
    "onnxruntime_genai": "onnxruntime-genai only builds the LLM (models/); onnxruntime runs it",
    "models": "the runtime must not import the build recipes (except `assist models build`)",
    "ui": "the core must not depend on the desktop app",
}
# the sanctioned lazy imports: the recipes (`assist models build`), the app (`assist app`)
ALLOWED = {("assist/cli/models_cmd.py", "models"), ("assist/cli/app_cmd.py", "ui")}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_imports_no_qt_torch_or_recipes() -> None:
    offences = []
    for path in sorted((ROOT / "assist").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for root in imported_roots(path) & FORBIDDEN_IN_CORE.keys():
            if (rel, root) not in ALLOWED:
                offences.append(f"{rel} imports {root}: {FORBIDDEN_IN_CORE[root]}")
    assert offences == []


def test_importing_the_engine_loads_no_heavy_module() -> None:
    code = (
        "import sys, assist.engine, assist.cli.main\n"
        "bad = [m for m in ('torch', 'transformers', 'PySide6', 'sklearn') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
