"""SmoothQuant for the encoder: move activation outliers into the weights before int8 quantisation.

Dynamic int8 quantisation uses one range per activation tensor, and MiniLM's hidden states have
a few channels 10-50x larger than the rest, so most channels get only a handful of int8 levels.
SmoothQuant (Xiao et al., 2023) rescales each input channel ``j`` of a matrix product by
``s_j = max|x_j|^alpha / max|W_j|^(1 - alpha)``: the graph computes ``(x / s) @ (s * W)``, which
is the same product in exact arithmetic, but ``x / s`` has even channels and ``s * W`` is
quantised per output column, where the larger rows do little harm.

Here a ``Mul`` by ``1 / s`` is inserted after the producer of each matmul input (the residual
path keeps the unscaled tensor) and the weight rows are multiplied by ``s``. ``max|x_j|`` comes
from running the fused fp32 graph on calibration messages. Measured on 96 held-out messages
(cosine to the fp32 model, worst / mean): plain int8 0.963 / 0.990; alpha 0.5: 0.940 / 0.970;
alpha 0.7: 0.983 / 0.995; alpha 0.9: 0.956 / 0.994. Speed is unchanged (24 tiny ``Mul`` ops).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

ALPHA = 0.7


def _targets(graph: object) -> list[tuple[object, str, str]]:
    """(node, activation input, weight initializer) for every matrix product with const weights."""
    inits = {i.name for i in graph.initializer}  # type: ignore[attr-defined]
    return [
        (n, n.input[0], n.input[1])
        for n in graph.node  # type: ignore[attr-defined]
        if n.op_type == "Attention" or (n.op_type == "MatMul" and n.input[1] in inits)
    ]


def channel_maxima(
    fused: Path, activations: Sequence[str], feeds: Sequence[dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """max |x_j| per channel of each named tensor over the calibration feeds (fp32 graph)."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(fused))
    for name in activations:
        model.graph.output.append(
            onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
        )
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    maxima: dict[str, np.ndarray] = {}
    for feed in feeds:
        values = session.run(list(activations), feed)
        for name, value in zip(activations, values, strict=True):
            peak = np.abs(value.reshape(-1, value.shape[-1])).max(axis=0)
            maxima[name] = np.maximum(maxima[name], peak) if name in maxima else peak
    return maxima


def smooth(
    fused: Path, out: Path, feeds: Sequence[dict[str, np.ndarray]], alpha: float = ALPHA
) -> int:
    """Write ``fused`` with smoothing applied to ``out``; returns the number of scaled inputs."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(fused))
    graph = model.graph
    targets = _targets(graph)
    activations = sorted({act for _, act, _ in targets})
    maxima = channel_maxima(fused, activations, feeds)
    inits = {i.name: i for i in graph.initializer}

    scales: dict[str, np.ndarray] = {}
    for act in activations:
        weights = [numpy_helper.to_array(inits[w]) for _, a, w in targets if a == act]
        w_max = np.max([np.abs(w).max(axis=1) for w in weights], axis=0)
        scale = np.maximum(maxima[act], 1e-5) ** alpha / np.maximum(w_max, 1e-5) ** (1 - alpha)
        scales[act] = scale.astype(np.float32)
        graph.initializer.append(numpy_helper.from_array(1 / scales[act], f"{act}/smooth_inv"))
    for node, act, _ in targets:
        node.input[0] = f"{act}/smoothed"
    for weight in {w for _, _, w in targets}:
        act = next(a for _, a, w in targets if w == weight)
        scaled = numpy_helper.to_array(inits[weight]) * scales[act][:, None]
        inits[weight].CopyFrom(numpy_helper.from_array(scaled.astype(np.float32), weight))

    nodes = list(graph.node)
    del graph.node[:]
    inserted = 0
    for node in nodes:  # each Mul goes right after the node producing its input
        graph.node.append(node)
        for produced in node.output:
            if produced in scales:
                graph.node.append(
                    helper.make_node(
                        "Mul",
                        [produced, f"{produced}/smooth_inv"],
                        [f"{produced}/smoothed"],
                        name=f"{produced}/smooth",
                    )
                )
                inserted += 1
    if inserted != len(activations):
        raise RuntimeError(f"smooth_quant: {len(activations)} inputs to scale, {inserted} produced")
    onnx.save(model, str(out))
    return len(activations)
