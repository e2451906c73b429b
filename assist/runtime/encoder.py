"""The shared sentence encoder (all-MiniLM-L6-v2, int8 ONNX): text -> 384-d unit vectors.

One onnxruntime session and one `tokenizers` tokenizer, both loaded from the ``encoder``
artifact. Mean pooling over real tokens and L2 normalisation happen here in numpy, as
sentence-transformers does. Inputs are truncated to 128 tokens: a 100 KB paste costs the same
as a long sentence.

Messages are encoded one per session call, never padded into a batch: the graph quantises
activations dynamically with one range per tensor, so in a batch a message's vector would
depend on its neighbours (cosine down to 0.94 against the same message alone). One at a time,
`assist classify` on 10,000 lines gives each line exactly what the live app gives it, and the
heads are trained on the same vectors. On this graph batching bought no speed anyway.
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


def load_tokenizer(path: Path) -> Tokenizer:
    """The WordPiece tokenizer as the encoder uses it: truncated to 128 tokens, unpadded."""
    try:
        tok = Tokenizer.from_file(str(path))
    except Exception as e:  # tokenizers raises a bare Exception on bad JSON
        raise ModelError(f"{path}: cannot load the tokenizer ({e}); {_REBUILD}") from None
    tok.enable_truncation(MAX_TOKENS)
    tok.no_padding()  # the shipped file pads to 128; we pad each batch to its longest row
    return tok


def _load_session(path: Path, threads: int, spin: bool = True) -> ort.InferenceSession:
    if not path.is_file():
        raise ModelError(f"{path}: missing; {_REBUILD}")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    if not spin:  # idle pool threads sleep instead of busy-waiting for the next op
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # the word-embedding table ships as int8 + one DequantizeLinear (models/encoder.py): with
    # the QDQ passes off (the graph has none: QAttention, MatMulInteger) constant folding turns
    # it back into fp32 once, at load, instead of on every call (1.3 ms vs 4.7 ms a message)
    opts.add_session_config_entry("session.disable_quant_qdq", "1")
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own pybind exception types
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(
            f"{path}: corrupt or unreadable ONNX model ({first}); {_REBUILD}"
        ) from None


def session_feeds(ids: Sequence[int], token_types: bool = True) -> dict[str, np.ndarray]:
    """The graph inputs for one message (batch of 1, no padding: every token is attended)."""
    row = np.asarray([ids], dtype=np.int64)
    feeds = {"input_ids": row, "attention_mask": np.ones_like(row)}
    if token_types:
        feeds["token_type_ids"] = np.zeros_like(row)
    return feeds


class SentenceEncoder:
    """Owns the ONNX session and the tokenizer; ``encode`` gives the sentence vectors.

    ``spin=False`` is for a process with a UI thread: onnxruntime's pool threads otherwise
    busy-wait after each op and take the core the event loop needs (first card painted 70 ->
    44 ms on 2 cores, measured), for 1.2 ms more per message (5.0 -> 6.2 ms).
    """

    def __init__(self, folder: Path, threads: int | None = None, spin: bool = True) -> None:
        self.model_path = folder / MODEL_FILE
        self.tokenizer = load_tokenizer(folder / TOKENIZER_FILE)
        self.session = _load_session(self.model_path, threads or default_threads(), spin)
        self._token_types = "token_type_ids" in {i.name for i in self.session.get_inputs()}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float32 mean-pooled, L2-normalised embeddings; rows in input order."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, enc in enumerate(self.tokenizer.encode_batch(list(texts))):
            try:
                hidden = self.session.run(
                    ["last_hidden_state"], session_feeds(enc.ids, self._token_types)
                )[0]
            except Exception as e:
                raise ModelError(f"{self.model_path}: inference failed ({e}); {_REBUILD}") from None
            pooled = hidden[0].mean(axis=0)
            out[row] = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return out
