"""The shared sentence encoder (all-MiniLM-L6-v2, int8 ONNX): text -> 384-d unit vectors.

One onnxruntime session and one `tokenizers` tokenizer, both loaded from the ``encoder``
artifact. Mean pooling over real tokens and L2 normalisation happen here in numpy, exactly as
sentence-transformers does, so the vectors match the published model (cosine >= 0.999).
Inputs are truncated to 128 tokens: a 100 KB paste costs the same as a long sentence.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from assist.artifacts import ModelError

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MAX_TOKENS = 128
DIM = 384
_REBUILD = "rebuild it with `assist models build --force encoder`"


def default_threads() -> int:
    """Two threads by default: the analysis is latency-bound at batch 1 and the UI needs a core."""
    return max(1, min(2, os.cpu_count() or 1))


def _load_tokenizer(path: Path) -> Tokenizer:
    try:
        tok = Tokenizer.from_file(str(path))
    except Exception as e:  # tokenizers raises a bare Exception on bad JSON
        raise ModelError(f"{path}: cannot load the tokenizer ({e}); {_REBUILD}") from None
    tok.enable_truncation(MAX_TOKENS)
    tok.no_padding()  # the shipped file pads to 128; we pad each batch to its longest row
    return tok


def _load_session(path: Path, threads: int) -> ort.InferenceSession:
    if not path.is_file():
        raise ModelError(f"{path}: missing; {_REBUILD}")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own pybind exception types
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(
            f"{path}: corrupt or unreadable ONNX model ({first}); {_REBUILD}"
        ) from None


class SentenceEncoder:
    """Owns the ONNX session; ``hidden`` gives token states, ``encode`` the sentence vectors."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        self.model_path = folder / MODEL_FILE
        self.tokenizer = _load_tokenizer(folder / TOKENIZER_FILE)
        self.session = _load_session(self.model_path, threads or default_threads())
        self._inputs = {i.name for i in self.session.get_inputs()}

    def _batch(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        encs = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for row, enc in enumerate(encs):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return feeds

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """WordPiece ids without [CLS]/[SEP], truncated like the encoder input."""
        return [enc.ids[1:-1] for enc in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """(n, 384) float32 mean-pooled, L2-normalised embeddings; rows in input order."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths batch well
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            feeds = self._batch([texts[i] for i in idx])
            try:
                hidden = self.session.run(["last_hidden_state"], feeds)[0]
            except Exception as e:
                raise ModelError(f"{self.model_path}: inference failed ({e}); {_REBUILD}") from None
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.maximum(norms, 1e-12)
        return out
