"""SmoothQuant on a small real ONNX graph: same fp32 function, less int8 error with outliers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")  # build extra
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from models.smooth_quant import smooth  # noqa: E402

DIM, OUT = 16, 24


def _graph(path: Path, seed: int = 0) -> None:
    """x -> Relu -> h; y = h @ W (quantisable); r = h + 1 (a residual use of h, left unscaled)."""
    rng = np.random.default_rng(seed)
    w = numpy_helper.from_array(rng.normal(size=(DIM, OUT)).astype(np.float32), "W")
    one = numpy_helper.from_array(np.ones(1, np.float32), "one")
    nodes = [
        helper.make_node("Relu", ["x"], ["h"], name="relu"),
        helper.make_node("MatMul", ["h", "W"], ["y"], name="matmul"),
        helper.make_node("Add", ["h", "one"], ["r"], name="residual"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, None, DIM])],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, None, OUT]),
            helper.make_tensor_value_info("r", TensorProto.FLOAT, [1, None, DIM]),
        ],
        [w, one],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def _inputs(n: int, seed: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    feeds = []
    for _ in range(n):
        x = np.abs(rng.normal(size=(1, 6, DIM))).astype(np.float32)
        x[..., 3] *= 60.0  # one outlier channel, as in transformer hidden states
        feeds.append({"x": x})
    return feeds


def _run(path: Path, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return list(session.run(["y", "r"], feed))


def test_smoothing_keeps_the_fp32_function(tmp_path: Path) -> None:
    _graph(tmp_path / "g.onnx")
    assert smooth(tmp_path / "g.onnx", tmp_path / "s.onnx", _inputs(8, seed=1)) == 1
    model = onnx.load(str(tmp_path / "s.onnx"))
    matmul = next(n for n in model.graph.node if n.op_type == "MatMul")
    residual = next(n for n in model.graph.node if n.name == "residual")
    assert matmul.input[0] == "h/smoothed" and residual.input[0] == "h"
    for feed in _inputs(3, seed=2):
        before, after = _run(tmp_path / "g.onnx", feed), _run(tmp_path / "s.onnx", feed)
        for want, got in zip(before, after, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


def test_smoothing_reduces_int8_error_with_an_outlier_channel(tmp_path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    _graph(tmp_path / "g.onnx")
    smooth(tmp_path / "g.onnx", tmp_path / "s.onnx", _inputs(8, seed=1))
    for name in ("g", "s"):
        quantize_dynamic(
            str(tmp_path / f"{name}.onnx"),
            str(tmp_path / f"{name}8.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
    errors = {}
    for name in ("g8", "s8"):
        err = []
        for feed in _inputs(4, seed=3):
            exact = _run(tmp_path / "g.onnx", feed)[0]
            err.append(np.abs(_run(tmp_path / f"{name}.onnx", feed)[0] - exact).mean())
        errors[name] = float(np.mean(err))
    assert errors["s8"] < 0.7 * errors["g8"], errors
