"""The packaged build (packaging/): the spec's inputs, the frozen-app start-up, the self-test.

The full bundle build (packaging/build-linux: PyInstaller, then ``--self-test`` from the bundle
in a clean environment) takes minutes; it runs only with ``ASSIST_TEST_BUNDLE=1``.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from assist import __version__, artifacts, bundle
from assist.artifacts import ModelError

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"


def _pyproject_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def test_spec_parses_and_reads_the_version_from_pyproject():
    source = (PACKAGING / "assist.spec").read_text("utf-8")
    ast.parse(source)  # valid Python (PyInstaller executes it)
    assert '["project"]["version"]' in source and "pyproject.toml" in source
    assert _pyproject_version() == __version__
    banned_list = (
        "torch",
        "transformers",
        "peft",
        "sklearn",
        "gguf",
        '"onnx"',
        "onnxruntime_genai",
    )
    for banned in banned_list:
        assert banned in source.split("EXCLUDES = [", 1)[1].split("]", 1)[0], banned


def test_installer_scripts_name_the_version():
    iss = (PACKAGING / "windows" / "assist.iss").read_text("utf-8")
    assert "OutputBaseFilename=Assist-{#AppVersion}-setup" in iss
    assert "PrivilegesRequired=lowest" in iss
    workflow = (ROOT / ".github" / "workflows" / "installers.yml").read_text("utf-8")
    assert "/DAppVersion=" in workflow and "--self-test" in workflow
    for script in ("build-linux", "macos/make-dmg", "macos/sign-and-notarize"):
        assert os.access(PACKAGING / script, os.X_OK), script


def test_sign_and_notarize_skips_without_an_identity():
    env = {k: v for k, v in os.environ.items() if k != "MACOS_SIGN_IDENTITY"}
    out = subprocess.run(
        ["bash", str(PACKAGING / "macos" / "sign-and-notarize")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "skipped: no identity" in out.stdout


def test_entry_point_starts_the_app_by_default():
    sys.path.insert(0, str(PACKAGING))
    try:
        from assist_main import app_argv  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(PACKAGING))
    assert app_argv([]) == ["app"]
    assert app_argv(["--self-test"]) == ["app", "--self-test"]
    assert app_argv(["-psn_0_12345", "--demo"]) == ["app", "--demo"]
    assert app_argv(["models", "verify"]) == ["models", "verify"]
    assert app_argv(["--version"]) == ["--version"]


def test_frozen_app_reads_its_bundled_models(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSIST_MODELS_DIR", "")  # restored (to unset or as it was) afterwards
    monkeypatch.delenv("ASSIST_MODELS_DIR")
    bundle.configure()
    assert "ASSIST_MODELS_DIR" not in os.environ  # from source: the cache, as before
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    bundle.configure()
    assert os.environ["ASSIST_MODELS_DIR"] == str(tmp_path / "models")
    with pytest.raises(ModelError, match="reinstall Assist"):
        artifacts.locate("encoder")
    monkeypatch.setenv("ASSIST_MODELS_DIR", str(tmp_path / "mine"))
    bundle.configure()  # the user's choice wins
    assert os.environ["ASSIST_MODELS_DIR"] == str(tmp_path / "mine")


def _run_self_test(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assist", "app", "--self-test"],
        cwd=ROOT,
        env={**env, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_self_test_names_missing_models(tmp_path):
    env = {**os.environ, "ASSIST_HOME": str(tmp_path / "p"), "ASSIST_MODELS_DIR": str(tmp_path)}
    out = _run_self_test(env)
    assert out.returncode == 1
    assert "FAILED: models" in out.stderr and "'encoder' is not built" in out.stderr
    assert "FAILED: models" in (tmp_path / "p" / "self-test.log").read_text("utf-8")


@pytest.mark.slow
def test_self_test_from_source(tmp_path):
    try:
        for component in ("encoder", "heads"):
            artifacts.locate(component)
    except ModelError as e:
        pytest.skip(f"models not built: {e}")
    out = _run_self_test({**os.environ, "ASSIST_HOME": str(tmp_path / "profile")})
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["ok"] and not summary["frozen"]
    assert summary["intent"] and summary["sentiment"] in {"negative", "neutral", "positive"}
    assert summary["demo_conversations"] > 0 and summary["qt_platform"] == "offscreen"
    if artifacts.current_hash("llm") is not None:
        assert summary["draft"]
    assert (tmp_path / "profile" / "assist.db").is_file()  # a first run makes the profile
    log = (tmp_path / "profile" / "self-test.log").read_text("utf-8")  # windowed: no stdout
    assert json.loads(log) == summary


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("ASSIST_TEST_BUNDLE") != "1", reason="the bundle build: ASSIST_TEST_BUNDLE=1"
)
@pytest.mark.timeout(1800)
def test_linux_bundle_builds_and_passes_its_self_test():
    out = subprocess.run(
        [str(PACKAGING / "build-linux")], cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["within_budget"] and report["size_mb"] <= report["budget_mb"] <= 350
    assert '"frozen": true' in out.stdout


def test_self_test_names_damaged_models(monkeypatch, tmp_path):
    from assist.self_test import check_models

    root = tmp_path / "models"
    monkeypatch.setenv("ASSIST_MODELS_DIR", str(root))
    for component in ("encoder", "heads"):
        staging = tmp_path / f"stage-{component}"
        staging.mkdir()
        (staging / "model.onnx").write_bytes(b"weights")
        artifacts.publish(component, "abc123", staging, {}, root)
    assert check_models() is False  # no language model: drafting is skipped, not failed
    (root / "heads" / "abc123" / "model.onnx").write_bytes(b"truncat")
    with pytest.raises(ModelError, match="heads.*sha256 mismatch.*assist models build"):
        check_models()
    # the packaged app cannot rebuild: it says to reinstall
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    with pytest.raises(ModelError, match="sha256 mismatch.*reinstall Assist"):
        check_models()


_ICU_SMOKE = """
import ctypes, sys
lib = sys.argv[1]
uc = ctypes.CDLL(lib + "/libicuuc.so.73")  # RUNPATH $ORIGIN: loads the trimmed libicudata
i18n = ctypes.CDLL(lib + "/libicui18n.so.73")
for f in (uc.ucnv_open_73, i18n.ucol_open_73):
    f.restype = ctypes.c_void_p
def ok(f, name):
    err = ctypes.c_int(0)
    handle = f(name, ctypes.byref(err))
    return handle is not None and err.value <= 0
maps = open("/proc/self/maps").read()
print(ok(i18n.ucol_open_73, b"en_US"), ok(uc.ucnv_open_73, b"windows-1252"),
      ok(uc.ucnv_open_73, b"Shift_JIS"), ok(uc.ucnv_open_73, b"ibm-37"),
      lib + "/libicudata.so.73" in maps)
"""


def test_trim_icu_keeps_a_loadable_fraction_of_qts_icu_data(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("PySide6 ships its own ICU only on Linux")
    import PySide6

    qt_lib = Path(PySide6.__file__).parent / "Qt" / "lib"
    source = qt_lib / "libicudata.so.73"
    if not source.is_file():
        pytest.skip(f"no {source} (another PySide6 version: update the test)")
    trim = [sys.executable, str(PACKAGING / "trim_icu.py"), str(source)]
    out = subprocess.run([*trim, "-o", str(tmp_path / "libicudata.so.73")], capture_output=True,
                         text=True)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    if "skipped:" in out.stdout:
        pytest.skip(out.stdout.strip())  # no icupkg (icu-devtools) or no C compiler
    trimmed = tmp_path / "libicudata.so.73"
    assert trimmed.stat().st_size < source.stat().st_size / 4, out.stdout
    sys.path.insert(0, str(PACKAGING))
    try:
        from trim_icu import elf_data_symbol  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(PACKAGING))
    soname, symbol, offset, _size = elf_data_symbol(trimmed)
    assert (soname, symbol, offset % 16) == ("libicudata.so.73", "icudt73_dat", 0)
    subprocess.run([*trim, "-o", str(tmp_path / "again.so")], capture_output=True, check=True)
    assert (tmp_path / "again.so").read_bytes() == trimmed.read_bytes()  # deterministic
    for name in ("libicuuc.so.73", "libicui18n.so.73"):
        (tmp_path / name).write_bytes((qt_lib / name).read_bytes())
    smoke = subprocess.run([sys.executable, "-c", _ICU_SMOKE, str(tmp_path)], capture_output=True,
                           text=True, check=True)  # fmt: skip
    # English collation, a Western and a Japanese codec load; an EBCDIC one was dropped
    assert smoke.stdout.split() == ["True", "True", "True", "False", "True"]
