"""Shrink the built reply model's weights file without changing what it computes (much).

Why: the packaged app has a size budget (350 MB, issue 7) and the int4 model was 106 MB of
it. Two things in the builder's output are stored twice or wider than they need to be:

- SmolLM2 ties its input embedding to its output layer, but the builder (with
  ``shared_embeddings=false``, see ``models/llm.py`` for why) writes two int4 copies: a
  ``GatherBlockQuantized`` table and the ``MatMulNBits`` output layer, 18 MB each. Both are
  the same asymmetric block-32 quantisation of the same matrix: scales and zero points are
  byte-identical, and the 4-bit values differ in 0.3 % of entries, each by one step, where a
  value falls exactly half-way between two levels and the two quantisers round that tie
  differently (checked against the GGUF source: the same mean and worst error). The
  embedding now reads the output layer's bytes through a ``Reshape`` (``GatherBlockQuantized``
  takes uint8 data packed two 4-bit values a byte, low nibble first: MatMulNBits' layout).
- The scales are fp32 (20 MB), but the operators need them in the activations' type, fp32.
  They are stored fp16 and a ``Cast`` restores fp32; onnxruntime folds a Cast of a constant
  when the session loads, so memory and speed are as before. fp16 keeps a scale to within
  0.05 % (measured: at most 0.049 %), a twentieth of a 4-bit step's rounding.

Both rewrites check the pattern they expect and leave a graph that lacks it as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

TIE_MAX_DIFFERENT = 0.01  # share only if at most this share of 4-bit values differ (by one)


def compact(onnx_dir: Path) -> dict[str, Any]:
    """Rewrite ``onnx_dir/model.onnx`` and its weights file in place; what was done."""
    import onnx

    path = onnx_dir / "model.onnx"
    model = onnx.load(str(path))  # with the external weights
    done = {"tied_embedding": tie_embedding(model), "fp16_scales": half_scales(model)}
    data = path.with_suffix(".onnx.data")
    data.unlink(missing_ok=True)
    onnx.save(model, str(path), save_as_external_data=True, location=data.name)
    data.chmod(0o644)  # onnx writes it owner-only; the other model files are world-readable
    return done


def _nibbles(raw: np.ndarray) -> np.ndarray:
    return np.stack([raw & 15, raw >> 4], axis=-1).reshape(-1).astype(np.int8)


def tie_embedding(model: Any) -> float | None:
    """Point the int4 embedding at the output layer's weights; the share of 4-bit values
    that differed, or None when the two are not the same matrix (nothing changed)."""
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    gather = next((n for n in graph.node if n.op_type == "GatherBlockQuantized"), None)
    head = next((n for n in graph.node if n.op_type == "MatMulNBits" and "lm_head" in n.name), None)
    if gather is None or head is None or len(gather.input) < 4 or len(head.input) < 4:
        return None
    attrs = {a.name: helper.get_attribute_value(a) for a in gather.attribute}
    head_attrs = {a.name: helper.get_attribute_value(a) for a in head.attribute}
    if attrs.get("bits", 4) != 4 or head_attrs.get("bits") != 4:
        return None
    if attrs.get("block_size") != head_attrs.get("block_size"):
        return None
    names = [gather.input[0], gather.input[2], gather.input[3], *head.input[1:4]]
    if not all(n in inits for n in names):
        return None
    rows, cols = inits[names[0]].dims
    scales, weights, head_scales, head_zeros = (
        numpy_helper.to_array(inits[n]) for n in (names[1], *names[3:])
    )
    same = [
        np.array_equal(scales, head_scales),
        np.array_equal(_raw_bytes(inits[names[2]]), head_zeros.reshape(-1)),
    ]
    if not all(same) or rows != weights.shape[0]:
        return None
    ours, theirs = _nibbles(_raw_bytes(inits[names[0]])), _nibbles(weights.reshape(-1))
    if ours.size != theirs.size or np.abs(ours - theirs).max() > 1:
        return None
    different = float(np.mean(ours != theirs))
    if different > TIE_MAX_DIFFERENT:
        return None
    shape = helper.make_tensor("lm_head.tied/shape", 7, [2], [rows, cols // 2])
    packed = "lm_head.tied/packed"
    graph.initializer.append(shape)
    reshape = helper.make_node("Reshape", [head.input[1], shape.name], [packed], name=packed)
    graph.node.insert(0, reshape)
    gather.input[0], gather.input[2], gather.input[3] = packed, head.input[2], head.input[3]
    head_zero_shape = list(head_zeros.shape)
    if head_zero_shape != [rows, cols // attrs["block_size"] // 2]:
        # GatherBlockQuantized wants the zero points as [rows, blocks / 2]: reshape them too
        zshape = helper.make_tensor("lm_head.tied/zshape", 7, [2], [rows, -1])
        graph.initializer.append(zshape)
        zpacked = "lm_head.tied/zeros"
        graph.node.insert(1, helper.make_node("Reshape", [head.input[3], zshape.name], [zpacked]))
        gather.input[3] = zpacked
    for a in list(gather.attribute):
        if a.name == "bits":
            gather.attribute.remove(a)
    gather.attribute.append(helper.make_attribute("bits", 4))
    for name in (names[0], names[1], names[2]):
        graph.initializer.remove(inits[name])
    return different


def _raw_bytes(tensor: Any) -> np.ndarray:
    """An int4/uint4 initializer's packed bytes (numpy_helper would unpack them)."""
    return np.frombuffer(tensor.raw_data, dtype=np.uint8)


def half_scales(model: Any) -> int:
    """Store the fp32 scales of every MatMulNBits / GatherBlockQuantized as fp16 with a Cast
    back to fp32; how many tensors were converted."""
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    scales = {
        n.input[2]
        for n in graph.node
        if n.op_type in ("MatMulNBits", "GatherBlockQuantized") and len(n.input) > 2
    }
    casts = []
    for name in sorted(scales):
        tensor = inits.get(name)
        if tensor is None or tensor.data_type != TensorProto.FLOAT:
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float16))
        half.name = f"{name}/fp16"
        graph.initializer.remove(tensor)
        graph.initializer.append(half)
        casts.append(helper.make_node("Cast", [half.name], [name], to=TensorProto.FLOAT))
    for cast in reversed(casts):
        graph.node.insert(0, cast)
    return len(casts)
