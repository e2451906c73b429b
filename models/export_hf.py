"""`assist models export --hf DIR`: a Hugging Face causal LM folder the user has -> an int4 ONNX
model the app can draft with, beside the bundled SmolLM2.

Same recipe as the bundled model (``models/llm.py``): the onnxruntime-genai builder with
``BUILDER_OPTIONS`` (int4, CPU, asymmetric blocks of 32, a separate int4 embedding table, the
output layer pruned to the last few positions during prefill, ``models.logits_tail``; none
of these is SmolLM-specific: ``shared_embeddings=false`` works for tied and untied models
alike) and ``tune_config``'s 2048-token context. The result goes to
``<models_dir>/user/<name>/`` with the bundled artifact's layout (``onnx/`` +
``manifest.json`` with the sha256 of every file), built in a hidden staging folder beside it
and renamed into place only after a smoke inference passed, so a failed or interrupted export
never leaves a half model under that name.

The builder loads the whole checkpoint in memory and needs torch and transformers (the build
extras); a 7B model needs roughly 30 GB of RAM while it is converted, 4-5 GB on disk after.
"""

from __future__ import annotations

import errno
import hashlib
import importlib.util
import json
import re
import shutil
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Any

from assist.artifacts import MANIFEST, ModelError, sha256_file
from assist.paths import models_dir
from assist.runtime.installed import BUNDLED_NAME, NAME_RE, ONNX_DIR, user_root
from models.common import package_version
from models.llm import BUILDER_OPTIONS, CONTEXT_LENGTH, run_builder, tune_config

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model")  # one of them
CHAT_TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json")
WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin")
BYTES_PER_PARAM = {"float32": 4, "float16": 2, "bfloat16": 2}
# int4 in blocks of 32 with a float scale and a 4-bit zero point per block: ~0.64 byte per
# weight; the margin covers the embedding table, the tokenizer and the builder's own files
INT4_BYTES_PER_PARAM = 0.75
DISK_MARGIN = 200 * 1024 * 1024
# *ForCausalLM names the builder turns into vision/audio pipelines, not a text-only decoder
MULTIMODAL = frozenset({"Phi3VForCausalLM", "Phi4MMForCausalLM", "VideoChatFlashQwenForCausalLM"})


class ExportError(ModelError):
    """Why a folder could not be exported; the message says what to do."""


@cache
def supported_architectures() -> frozenset[str]:
    """The causal-LM architectures this onnxruntime-genai builder converts.

    The builder exposes no list: it dispatches on ``config.architectures[0] == "..."``, so the
    names are read from its source (without importing it: that imports torch). Empty if the
    builder is missing or its layout changed; the builder's own error is reported then.
    """
    spec = importlib.util.find_spec("onnxruntime_genai")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    builder = Path(list(spec.submodule_search_locations)[0]) / "models" / "builder.py"
    try:
        source = builder.read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    names = re.findall(r'architectures\[0\]\s*==\s*"([A-Za-z0-9_]+)"', source)
    return frozenset(n for n in names if n.endswith("ForCausalLM") and n not in MULTIMODAL)


def _weights(hf_dir: Path) -> list[Path]:
    return sorted({p for pattern in WEIGHT_PATTERNS for p in hf_dir.glob(pattern)})


def validate(hf_dir: Path) -> dict[str, Any]:
    """The folder's config.json if it is a causal LM the builder can convert; else ExportError."""
    if not hf_dir.exists():
        raise ExportError(f"{hf_dir} does not exist")
    if not hf_dir.is_dir():
        raise ExportError(f"{hf_dir} is not a folder (give the Hugging Face model folder)")
    config_path = hf_dir / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(
            f"{config_path} is missing: not a Hugging Face model folder (it holds config.json, "
            "the tokenizer and the weights)"
        ) from None
    except (OSError, ValueError) as e:
        raise ExportError(f"{config_path} cannot be read ({e})") from None
    if not isinstance(config, dict):
        raise ExportError(f"{config_path} is not a JSON object")
    archs = config.get("architectures")
    if not archs or not isinstance(archs, list) or not isinstance(archs[0], str):
        raise ExportError(
            f"{config_path} names no architecture (no 'architectures' list), so it is not "
            "known to be a causal language model"
        )
    arch = archs[0]
    supported = supported_architectures()
    if not arch.endswith("ForCausalLM"):
        raise ExportError(
            f"{hf_dir} holds a {arch}, not a causal language model (a *ForCausalLM, e.g. "
            "Qwen2ForCausalLM or LlamaForCausalLM): only text generators can write drafts"
        )
    if supported and arch not in supported:
        raise ExportError(
            f"{arch} is not supported by the installed onnxruntime-genai builder "
            f"({package_version('onnxruntime-genai')}); supported: {', '.join(sorted(supported))}"
        )
    if not any((hf_dir / f).is_file() for f in TOKENIZER_FILES):
        raise ExportError(f"{hf_dir} has no tokenizer ({' or '.join(TOKENIZER_FILES)})")
    if not _has_chat_template(hf_dir):
        raise ExportError(
            f"{hf_dir} has no chat template (tokenizer_config.json 'chat_template' or "
            "chat_template.jinja): drafts need an instruction-tuned (chat) model"
        )
    if not _weights(hf_dir):
        raise ExportError(
            f"{hf_dir} has no weights (*.safetensors or pytorch_model*.bin); a download that "
            "stopped early, or a folder of Git LFS pointers?"
        )
    return config


def _has_chat_template(hf_dir: Path) -> bool:
    if any((hf_dir / f).is_file() for f in CHAT_TEMPLATE_FILES):
        return True
    try:
        tok_config = json.loads((hf_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(tok_config, dict) and bool(tok_config.get("chat_template"))


def _check_build_tools() -> None:
    missing = [m for m in ("torch", "transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise ExportError(
            f"exporting needs the build tools ({', '.join(missing)} missing): run `./dev setup` "
            "in a checkout, or `pip install -e .[build]`"
        )


def needed_bytes(hf_dir: Path, config: dict[str, Any]) -> int:
    """A generous estimate of the int4 model's size on disk, from the weights' size."""
    dtype = str(config.get("torch_dtype") or config.get("dtype") or "float16")
    per_param = BYTES_PER_PARAM.get(dtype, 2)
    params = sum(p.stat().st_size for p in _weights(hf_dir)) / per_param
    return int(params * INT4_BYTES_PER_PARAM) + DISK_MARGIN


def _input_hash(hf_dir: Path, config: dict[str, Any]) -> str:
    """16 hex digits over what the export depends on (weights by name and size: hashing
    gigabytes of them would add minutes)."""
    key = {
        "config": config,
        "weights": [[p.name, p.stat().st_size] for p in _weights(hf_dir)],
        "builder": BUILDER_OPTIONS,
        "context_length": CONTEXT_LENGTH,
        "onnxruntime-genai": package_version("onnxruntime-genai"),
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def _builder_failure(error: RuntimeError) -> ExportError:
    text = str(error)
    if "is not currently supported" in text:
        line = next((x for x in text.splitlines() if "is not currently supported" in x), "")
        return ExportError(f"the onnxruntime-genai builder cannot convert this model: {line}")
    if "No space left on device" in text:
        return ExportError(f"no disk space left while building the model: {text[-1500:]}")
    if "MemoryError" in text or "Killed" in text:
        return ExportError(f"the builder ran out of memory (it loads the whole model): {text}")
    return ExportError(text)


def export_folder(
    hf_dir: Path,
    name: str,
    root: Path | None = None,
    force: bool = False,
    card: dict[str, Any] | None = None,
) -> Path:
    """Export ``hf_dir`` as the installed model ``name``; returns its folder
    (``<models_dir>/user/<name>``, the model itself in ``onnx/``). ExportError says why not.
    ``card``: more for the manifest's model card (how a retrained model was made)."""
    from assist.runtime.generator import Generator

    hf_dir = Path(hf_dir).expanduser().resolve()
    if not NAME_RE.fullmatch(name):
        raise ExportError(
            f"bad model name {name!r}: letters, digits, '.', '_' and '-', starting with a "
            "letter or digit, at most 64 characters"
        )
    if name == BUNDLED_NAME:
        raise ExportError(f"{name!r} is the bundled model's name; choose another")
    config = validate(hf_dir)
    _check_build_tools()
    users = user_root(root or models_dir())
    dest = users / name
    if dest.exists() and not force:
        raise ExportError(f"a model named {name!r} is already installed in {dest}; pass --force")
    start = time.perf_counter()
    staging: Path | None = None
    try:
        users.mkdir(parents=True, exist_ok=True)
        need, free = needed_bytes(hf_dir, config), shutil.disk_usage(users).free
        if free < need:
            raise ExportError(
                f"not enough disk space in {users}: the model needs about {need / 1e9:.1f} GB, "
                f"{free / 1e9:.1f} GB free"
            )
        # beside the destination, so the final step is a rename on one file system
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{name}-", dir=users))
        onnx = staging / ONNX_DIR
        try:
            run_builder(hf_dir, onnx, staging / ".cache")
        except RuntimeError as e:
            raise _builder_failure(e) from None
        shutil.rmtree(staging / ".cache", ignore_errors=True)
        if not (onnx / "genai_config.json").is_file():
            raise ExportError(f"the builder wrote no genai_config.json into {onnx}")
        tune_config(onnx)
        try:
            gen = Generator(onnx)
            try:
                gen.smoke()
            finally:
                gen.close()
        except ModelError as e:
            raise ExportError(f"the exported model does not run: {e}") from None
        digest = _input_hash(hf_dir, config)
        _write_manifest(staging, name, digest, hf_dir, config, start, card or {})
        replace_folder(staging, dest)
        staging = None
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise ExportError(f"no disk space left in {users} while exporting: {e}") from None
        raise ExportError(f"exporting into {users} failed: {e}") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return dest


def _write_manifest(
    staging: Path,
    name: str,
    digest: str,
    hf_dir: Path,
    config: dict[str, Any],
    start: float,
    extra: dict[str, Any],
) -> None:
    """The bundled artifact's manifest format (``assist.artifacts.publish``)."""
    files = {
        str(p.relative_to(staging)): sha256_file(p)
        for p in sorted(staging.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    card = {
        "name": f"{name}: {config['architectures'][0]} from {hf_dir}, int4 ONNX",
        "source": {"hf_dir": str(hf_dir), "architecture": config["architectures"][0]},
        "packages": {p: package_version(p) for p in ("onnxruntime-genai", "transformers")},
        "builder": BUILDER_OPTIONS,
        "context_length": CONTEXT_LENGTH,
        "wall_seconds": round(time.perf_counter() - start, 1),
        "component": "llm",
        "recipe_hash": digest,
        "sha256": files,
        **extra,
    }
    manifest = {"component": "llm", "recipe_hash": digest, "files": files, "card": card}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))


def replace_folder(staging: Path, dest: Path) -> None:
    """Rename ``staging`` to ``dest``; an old ``dest`` is moved aside first and deleted after."""
    old = None
    if dest.exists():
        old = dest.with_name(f".old-{dest.name}-{staging.name[-8:]}")
        dest.rename(old)
    try:
        staging.rename(dest)
    except OSError:
        if old is not None:
            old.rename(dest)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
