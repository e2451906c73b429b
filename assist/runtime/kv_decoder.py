"""A decoder-only ONNX model (the onnxruntime-genai builder's layout) run with a KV cache.

Why not onnxruntime-genai at run time: the generator samples, drafts and rewinds in Python and
asks the runtime only to run the model over some tokens and keep their keys and values. That
is one ``InferenceSession`` with the cache in preallocated buffers, which onnxruntime's own
Python module does; onnxruntime-genai would bring a second copy of onnxruntime (its C library,
29 MB, beside the Python module's statically linked one) and its own 34 MB, most of the
packaged app's size over budget. onnxruntime-genai stays the *builder* of the model
(``models/llm.py``), and its ``genai_config.json`` describes the model for us.

How the cache works: the builder's GroupQueryAttention takes ``past_key_values.N.key/value``
and returns ``present.N.key/value``. Bound to the *same* buffer of ``max_length`` positions
(``past_present_share_buffer`` in genai's terms), the attention writes the new positions in
place and reads only the first ``attention_mask.sum()`` of them, so appending copies nothing
and rewinding is just a shorter length: positions past it are overwritten by the next append.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

# where the model can run: the onnxruntime providers for each device the generator offers
PROVIDERS = {
    "cpu": ["CPUExecutionProvider"],
    "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"],
}


def cuda_available() -> bool:
    """Whether this onnxruntime can run on an NVIDIA GPU (the onnxruntime-gpu package)."""
    return "CUDAExecutionProvider" in ort.get_available_providers()


class DecoderModel:
    """The loaded ONNX session and the shapes of its cache; ``new_cache`` makes a sequence."""

    def __init__(self, model_dir: Path, threads: int, device: str = "cpu") -> None:
        """``device``: a key of PROVIDERS ("cuda" needs the onnxruntime-gpu package)."""
        config = json.loads((Path(model_dir) / "genai_config.json").read_text())
        decoder = config["model"]["decoder"]
        self.max_length = int(config["search"]["max_length"])
        self.layers = int(decoder["num_hidden_layers"])
        self.kv_heads = int(decoder["num_key_value_heads"])
        self.head_size = int(decoder["head_size"])
        eos = config["model"].get("eos_token_id", [])
        self.vocab_size = int(config["model"]["vocab_size"])
        self.eos_token_ids = [int(t) for t in (eos if isinstance(eos, list) else [eos])]
        names = {**decoder.get("inputs", {}), **decoder.get("outputs", {})}
        self._ids = names.get("input_ids", "input_ids")
        self._mask = names.get("attention_mask", "attention_mask")
        self._logits = names.get("logits", "logits")
        self._past = [
            (names.get(f"past_{kv}_names", f"past_key_values.%d.{kv}") % i,
             names.get(f"present_{kv}_names", f"present.%d.{kv}") % i)
            for i in range(self.layers)
            for kv in ("key", "value")
        ]  # fmt: skip
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # the builder leaves an unused constant: not news
        self.device = device  # a key of PROVIDERS (the generator checks it)
        path = Path(model_dir) / decoder.get("filename", "model.onnx")
        self.session = ort.InferenceSession(str(path), options, providers=PROVIDERS[device])
        wanted = {self._ids, self._mask, *(p for p, _ in self._past)}
        have = {i.name for i in self.session.get_inputs()}
        if wanted - have:
            raise ValueError(f"the model lacks the inputs {sorted(wanted - have)}")

    def new_cache(self, max_length: int | None = None) -> KVCache:
        """An empty sequence with room for ``max_length`` tokens (default: the model's)."""
        return KVCache(self, min(max_length or self.max_length, self.max_length))


class KVCache:
    """One token sequence's keys and values; ``append`` runs the model over new tokens.

    Not thread-safe: one caller at a time (the generator holds it under its busy lock)."""

    def __init__(self, model: DecoderModel, max_length: int) -> None:
        self.model = model
        self.max_length = max_length
        self.length = 0
        shape = [1, model.kv_heads, max_length, model.head_size]
        self._binding = model.session.io_binding()
        self._buffers: list[Any] = []  # keep the OrtValues alive as long as the binding
        self._logits = np.empty(0, dtype=np.float32)  # see append
        for past, present in model._past:
            buffer = ort.OrtValue.ortvalue_from_shape_and_type(shape, np.float32, model.device, 0)
            self._binding.bind_ortvalue_input(past, buffer)
            self._binding.bind_ortvalue_output(present, buffer)
            self._buffers.append(buffer)

    def append(self, tokens: np.ndarray) -> np.ndarray:
        """Run the model over ``tokens`` after the cached ones; their logits, [len, vocab].

        A model with a pruned output layer returns fewer real rows (the builder's: only the
        last; ``models.logits_tail``: the last 4, the rows before them zero)."""
        ids = np.asarray(tokens, dtype=np.int64).reshape(1, -1)
        total = self.length + ids.shape[1]
        if total > self.max_length:
            raise ValueError(f"{total} tokens do not fit the cache of {self.max_length}")
        model = self.model
        self._binding.bind_cpu_input(model._ids, ids)
        self._binding.bind_cpu_input(model._mask, np.ones((1, total), dtype=np.int64))
        # the logits land at the start of one reused buffer, as big as the longest step yet
        # (cheaper than having onnxruntime allocate and wrap all outputs again)
        size = ids.shape[1] * model.vocab_size
        if self._logits.size < size:
            self._logits = np.empty(size, dtype=np.float32)
        shape = [1, ids.shape[1], model.vocab_size]
        self._binding.bind_output(
            model._logits, "cpu", 0, np.float32, shape, self._logits.ctypes.data
        )
        model.session.run_with_iobinding(self._binding)
        self.length = total
        return self._logits[:size].reshape(shape[1:]).copy()

    def rewind_to(self, length: int) -> None:
        """Forget every token after the first ``length``."""
        if not 0 <= length <= self.length:
            raise ValueError(f"cannot rewind a cache of {self.length} tokens to {length}")
        self.length = length
