"""Edits of the converted FastSpeech2 graph: per-phone prosody inputs, folded weights.

Runs in the model's build environment, which has ``onnx`` (voxserve's own does not), as a
script: nothing here imports voxserve.

    python baker_zh_graph.py prosody IN.onnx OUT.onnx
    python baker_zh_graph.py fold IN.onnx OUT.onnx

The acoustic model predicts, for each input phone, a duration (node ``mul``: durations x
``speed_ratios``, then Round and Cast to the output ``Identity_2``), an F0 (``Identity_3``:
z-normalized F0 x ``f0_ratios``, which also feeds the F0 embedding) and an energy
(``Identity_4``, likewise). Three ``[1, T]`` float inputs (T: the number of input ids) change
those predictions inside the graph, so that the decoder and the vocoder render them:

- ``f0_offsets`` is added to the F0 prediction (model units: z-normalized F0);
- ``energy_offsets`` is added to the energy prediction;
- ``duration_scales`` multiplies the durations before they are rounded, so the durations the
  model outputs (``Identity_2``) are the ones it renders.

At zero offsets and unit scales every output is bit-identical to the input graph's.

``fold`` replaces each DequantizeLinear of a constant (the TFLite original stored its weights
as int8) by the float weights it computes, so they are not dequantized again on every run.
The outputs then differ from the quantized graph's by float rounding only.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUTS = ("f0_offsets", "energy_offsets", "duration_scales")
_EDITS = (  # (output of the node to follow, operator, new input)
    ("Identity_3", "Add", "f0_offsets"),
    ("Identity_4", "Add", "energy_offsets"),
    ("mul", "Mul", "duration_scales"),
)


def add_prosody_inputs(model: Any) -> Any:
    """``model`` with the three inputs; edited in place and returned."""
    graph = model.graph
    ids = next(i for i in graph.input if i.name == "input_ids")
    length = ids.type.tensor_type.shape.dim[1]
    dim = length.dim_param or length.dim_value
    for name in INPUTS:
        graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, dim]))
    for output, op, operand in _EDITS:
        _follow(graph, output, op, operand)
    return model


def _follow(graph: Any, output: str, op: str, operand: str) -> None:
    """Rename ``output`` where it is produced and compute it as ``op(renamed, operand)`` right
    after: every consumer, and the graph output of that name, sees the result."""
    position, node = next((i, n) for i, n in enumerate(graph.node) if output in n.output)
    raw = f"{output}_before_{operand}"
    node.output[list(node.output).index(output)] = raw
    graph.node.insert(
        position + 1, helper.make_node(op, [raw, operand], [output], name=f"{output}_{operand}")
    )


def fold_dequantize(model: Any) -> int:
    """Replace every DequantizeLinear of constants in ``model`` by a float initializer; return
    how many were folded."""
    graph = model.graph
    constants = {init.name: init for init in graph.initializer}
    kept, folded = [], 0
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(n in constants for n in node.input if n):
            arrays = [numpy_helper.to_array(constants[n]) for n in node.input if n]
            weights = _dequantized(arrays, _axis(node))
            graph.initializer.append(numpy_helper.from_array(weights, node.output[0]))
            folded += 1
        else:
            kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)
    used = {name for node in graph.node for name in node.input}
    used.update(output.name for output in graph.output)
    remaining = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(remaining)
    return folded


def _axis(node: Any) -> int:
    return next((a.i for a in node.attribute if a.name == "axis"), 1)


def _dequantized(arrays: list[Any], axis: int) -> Any:
    """``(x - zero_point) * scale`` as DequantizeLinear defines it, per tensor or per axis."""
    values = arrays[0].astype(np.float32)
    scale = arrays[1].astype(np.float32)
    zero = arrays[2].astype(np.float32) if len(arrays) > 2 else np.zeros_like(scale)
    if scale.ndim == 1 and values.ndim > 1:  # per-axis quantization
        shape = [1] * values.ndim
        shape[axis] = -1
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    return ((values - zero) * scale).astype(np.float32)


def main(command: str, source: str, target: str) -> None:
    model = onnx.load(source)
    if command == "prosody":
        add_prosody_inputs(model)
    elif command == "fold":
        print(f"folded {fold_dequantize(model)} DequantizeLinear nodes")
    else:
        raise SystemExit(f"unknown command {command!r}: prosody or fold")
    onnx.checker.check_model(model)
    onnx.save(model, target)


if __name__ == "__main__":
    main(*sys.argv[1:])
