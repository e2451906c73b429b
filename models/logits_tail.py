"""Give the built reply model logits for its last few positions, not only the last one.

Why: the generator checks several drafted tokens in one model call (speculative decoding
with the phrase the draft is copying, ``assist.runtime.generator``), which needs the logits of
each of them. The builder's ``prune_lm_head`` computes the 49152-word output layer for the
last position only (prefill's first token ~25 % sooner); without it, every prompt token would
go through that layer again. This keeps the saving: the output layer runs on the last
``TAIL_ROWS`` positions (a step checks at most TAIL_ROWS - 1 drafted tokens), and the rows
before them are zero-filled so the output keeps the [batch, sequence, vocabulary] shape that
onnxruntime-genai allocates for an unpruned model (it refuses any other). The zero rows are
never read: prefill uses the last row, a checking step its own rows.

Rewrites the builder's ``/lm_head/prune/Gather`` + ``Unsqueeze`` (last position) into
``Slice`` (last TAIL_ROWS) before the output layer, and a ``Pad`` after it; a graph without
that pattern (another builder version, a model built elsewhere) is left as it is, and the
generator then decodes one token per call.
"""

from __future__ import annotations

from pathlib import Path

TAIL_ROWS = 4
_GATHER = "/lm_head/prune/Gather"
_UNSQUEEZE = "/lm_head/prune/Unsqueeze"
_PREFIX = "/lm_head/tail"


def widen_logits(onnx_dir: Path, rows: int = TAIL_ROWS) -> bool:
    """Rewrite ``onnx_dir/model.onnx`` in place (its weights file is untouched); False when
    the graph has no pruned output layer to widen."""
    import onnx
    from onnx import TensorProto, helper

    path = onnx_dir / "model.onnx"
    model = onnx.load(str(path), load_external_data=False)
    graph = model.graph
    nodes = {n.name: n for n in graph.node}
    gather, unsqueeze = nodes.get(_GATHER), nodes.get(_UNSQUEEZE)
    outputs = {o.name: o for o in graph.output}
    producer = next((n for n in graph.node if "logits" in n.output), None)
    if gather is None or unsqueeze is None or producer is None or "logits" not in outputs:
        return False
    hidden, tail_in = gather.input[0], unsqueeze.output[0]
    rows_out = f"{_PREFIX}/rows"
    producer.output[list(producer.output).index("logits")] = rows_out

    def const(name: str, values: list[int]) -> str:
        graph.initializer.append(helper.make_tensor(name, TensorProto.INT64, [len(values)], values))
        return name

    starts = const(f"{_PREFIX}/starts", [-rows])
    ends = const(f"{_PREFIX}/ends", [2**62])
    axes = const(f"{_PREFIX}/axes", [1])
    zero = const(f"{_PREFIX}/zero", [0])
    zeros4 = const(f"{_PREFIX}/zeros4", [0, 0, 0, 0])
    new = [
        # [B, S, H] -> [B, min(S, rows), H]: the output layer's input
        helper.make_node("Slice", [hidden, starts, ends, axes], [tail_in], name=f"{_PREFIX}/Slice"),
        # pad the [B, n, V] rows in front to [B, S, V]: pads = [0, S - n, 0, 0, 0, 0]
        helper.make_node("Shape", [hidden], [f"{_PREFIX}/S"], start=1, end=2),
        helper.make_node("Shape", [rows_out], [f"{_PREFIX}/n"], start=1, end=2),
        helper.make_node("Sub", [f"{_PREFIX}/S", f"{_PREFIX}/n"], [f"{_PREFIX}/front"]),
        helper.make_node("Concat", [zero, f"{_PREFIX}/front", zeros4], [f"{_PREFIX}/pads"], axis=0),
        helper.make_node("Pad", [rows_out, f"{_PREFIX}/pads"], ["logits"], name=f"{_PREFIX}/Pad"),
    ]
    at = list(graph.node).index(gather)
    graph.node.remove(gather)
    graph.node.remove(unsqueeze)
    graph.node.insert(at, new[0])  # where the pruning was, before the output layer
    graph.node.extend(new[1:])  # after the output layer, which produces their input
    dim = outputs["logits"].type.tensor_type.shape.dim[1]
    dim.ClearField("dim_value")
    dim.dim_param = "sequence_length"
    onnx.save(model, str(path))  # checked by loading it: the build measures the model next
    return True
