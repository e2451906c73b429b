"""models.llm_compact: the tied int4 embedding stored once, fp16 scales; same outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assist import artifacts
from assist.artifacts import ModelError

onnx = pytest.importorskip("onnx", reason="the build extra is not installed")
ort = pytest.importorskip("onnxruntime")

from models import llm_compact  # noqa: E402

VOCAB, HIDDEN, BLOCK = 64, 64, 32


def _quantize(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Asymmetric 4-bit, blocks of BLOCK along the rows: values, scales, zero points."""
    blocks = w.reshape(w.shape[0], -1, BLOCK)
    lo, hi = blocks.min(-1, keepdims=True), blocks.max(-1, keepdims=True)
    scale = (hi - lo) / 15
    zero = np.clip(np.round(-lo / scale), 0, 15)
    q = np.clip(np.round(blocks / scale) + zero, 0, 15).astype(np.uint8)
    return q.reshape(w.shape), scale[..., 0].astype(np.float32), zero[..., 0].astype(np.uint8)


def _pack(values: np.ndarray) -> np.ndarray:
    flat = values.reshape(values.shape[0], -1)
    return (flat[:, 0::2] | (flat[:, 1::2] << 4)).astype(np.uint8)


def _tied_model(folder: Path, embedding_q: np.ndarray | None = None) -> None:
    """input_ids -> int4 embedding (GatherBlockQuantized) -> int4 output layer (MatMulNBits),
    both from one matrix, as the builder writes SmolLM2's tied weights."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(0)
    q, scales, zeros = _quantize(rng.normal(0, 0.1, (VOCAB, HIDDEN)).astype(np.float32))
    table = q if embedding_q is None else embedding_q

    def uint4(name: str, values: np.ndarray) -> onnx.TensorProto:
        return helper.make_tensor(
            name, TensorProto.UINT4, values.shape, _pack(values).tobytes(), raw=True
        )

    inits = [
        uint4("model.embed_tokens.weight_Q4", table),
        onnx.numpy_helper.from_array(scales.copy(), "model.embed_tokens.weight_scales"),
        uint4("model.embed_tokens.weight_zero_points", zeros),
        onnx.numpy_helper.from_array(
            _pack(q).reshape(VOCAB, HIDDEN // BLOCK, BLOCK // 2), "lm_head.MatMul.weight_Q4"
        ),
        onnx.numpy_helper.from_array(scales.copy(), "lm_head.MatMul.weight_scales"),
        onnx.numpy_helper.from_array(_pack(zeros), "lm_head.MatMul.weight_zero_points"),
    ]
    nodes = [
        helper.make_node(
            "GatherBlockQuantized",
            [
                "model.embed_tokens.weight_Q4",
                "input_ids",
                "model.embed_tokens.weight_scales",
                "model.embed_tokens.weight_zero_points",
            ],
            ["hidden"],
            domain="com.microsoft",
            block_size=BLOCK,
            gather_axis=0,
            quantize_axis=1,
        ),  # fmt: skip
        helper.make_node(
            "MatMulNBits",
            [
                "hidden",
                "lm_head.MatMul.weight_Q4",
                "lm_head.MatMul.weight_scales",
                "lm_head.MatMul.weight_zero_points",
            ],
            ["logits"],
            name="/lm_head/MatMul_Q4",
            domain="com.microsoft",
            K=HIDDEN,
            N=VOCAB,
            bits=4,
            block_size=BLOCK,
        ),  # fmt: skip
    ]
    graph = helper.make_graph(
        nodes,
        "tied",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "S"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "S", VOCAB])],
        inits,
    )
    opsets = [helper.make_opsetid("", 21), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets, ir_version=10)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(folder / "model.onnx"), save_as_external_data=True,
              location="model.onnx.data", size_threshold=0)  # fmt: skip


def _logits(folder: Path) -> np.ndarray:
    session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    ids = np.arange(VOCAB, dtype=np.int64).reshape(1, -1)
    return session.run(["logits"], {"input_ids": ids})[0]


def test_tied_weights_are_stored_once_with_fp16_scales_and_compute_the_same(tmp_path) -> None:
    _tied_model(tmp_path)
    before, size = _logits(tmp_path), (tmp_path / "model.onnx.data").stat().st_size
    done = llm_compact.compact(tmp_path)
    assert done == {"tied_embedding": 0.0, "fp16_scales": 1}  # one scales tensor, shared
    names = {t.name for t in onnx.load(str(tmp_path / "model.onnx")).graph.initializer}
    assert not any(n.startswith("model.embed_tokens") for n in names)
    assert (tmp_path / "model.onnx.data").stat().st_size < 0.6 * size
    # fp16 scales: within fp16's rounding of each scale (relative 2**-11)
    np.testing.assert_allclose(_logits(tmp_path), before, rtol=2e-3, atol=2e-3)


def test_different_matrices_are_not_tied(tmp_path) -> None:
    rng = np.random.default_rng(1)
    _tied_model(tmp_path, embedding_q=rng.integers(0, 16, (VOCAB, HIDDEN)).astype(np.uint8))
    before = _logits(tmp_path)
    done = llm_compact.compact(tmp_path)
    assert done["tied_embedding"] is None and done["fp16_scales"] == 2
    names = {t.name for t in onnx.load(str(tmp_path / "model.onnx")).graph.initializer}
    assert "model.embed_tokens.weight_Q4" in names
    np.testing.assert_allclose(_logits(tmp_path), before, rtol=2e-3, atol=2e-3)


@pytest.mark.slow
def test_the_built_reply_model_is_compacted() -> None:
    try:
        folder = artifacts.locate("llm").file("onnx")
    except ModelError:
        pytest.skip("llm not built: python -m models.build llm")
    graph = onnx.load(str(folder / "model.onnx"), load_external_data=False).graph
    names = {t.name for t in graph.initializer}
    assert "model.embed_tokens.weight_Q4" not in names and "lm_head.MatMul.weight_Q4" in names
    assert sum(n.endswith("_scales/fp16") for n in names) == 151  # 150 matmuls + lm_head
    assert (folder / "model.onnx.data").stat().st_size < 85e6
