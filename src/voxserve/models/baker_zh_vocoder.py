"""Rebuild the converted MB-MelGAN vocoder as a plain graph of convolutions.

Runs in the model's build environment, which has ``onnx`` (voxserve's own does not), as a
script: nothing here imports voxserve.

    python baker_zh_vocoder.py IN.onnx OUT.onnx

tf2onnx turns the TFLite vocoder into about 990 nodes: every 1-D convolution is wrapped in
reshapes and transposes between TensorFlow's channels-last layout and ONNX's, and every dilated
convolution is spelled as SpaceToBatch, a plain convolution and BatchToSpace, which onnxruntime
runs as dozens of Pad, Slice and Transpose nodes. The network itself is small and regular
(Multi-band MelGAN as TensorFlowTTS defines it): a 7-tap convolution; three upsampling stages
(transposed convolution by 3, 5, 5), each followed by four residual blocks with dilations 1, 3,
9, 27; a 7-tap convolution to four sub-bands, tanh (quantized to int8 steps in the original,
kept); and the PQMF synthesis (a transposed convolution by 4 and a 63-tap filter).

This script reads the weights of that network from the converted graph, in the order its
convolutions appear, and writes the same network with one node per operation, channels-first,
time on the last axis of a ``[1, C, 1, T]`` tensor (onnxruntime runs 2-D convolutions with its
blocked kernels, 1-D ones without). The build checks that it computes what the converted graph
computes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LEAK = 0.2
UPSAMPLING = (3, 5, 5)
DILATIONS = (1, 3, 9, 27)
OPSET = 17
# Operators between a convolution and its BiasAdd in the converted graph.
_LAYOUT_OPS = frozenset({"Squeeze", "Unsqueeze", "Transpose", "Reshape", "Slice", "Pad", "Concat"})

Layer = tuple[Any, Any]
"""A convolution's weights and its bias (the converted graph adds biases after reshaping)."""


def read_layers(graph: Any) -> list[Layer]:
    """Weights and bias of every Conv and ConvTranspose of the converted ``graph``, in order."""
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    layers = []
    for node in graph.node:
        if node.op_type not in ("Conv", "ConvTranspose"):
            continue
        weights = constants[node.input[1]]
        channels = weights.shape[0 if node.op_type == "Conv" else 1]
        bias = np.zeros(channels, np.float32)
        if len(node.input) > 2:
            bias += constants[node.input[2]].reshape(-1)
        added = _bias_add(node, consumers, constants)
        if added is not None:
            bias += added.reshape(-1)
        layers.append((weights.astype(np.float32), bias.astype(np.float32)))
    return layers


def _bias_add(conv: Any, consumers: dict[str, list[Any]], constants: dict[str, Any]) -> Any:
    """The constant of the first Add after ``conv`` through layout operators, or None (the
    first Add is a residual sum)."""
    frontier, seen = list(conv.output), set()
    while frontier:
        for node in consumers.get(frontier.pop(0), []):
            if node.name in seen:
                continue
            seen.add(node.name)
            if node.op_type == "Add":
                found = [constants[name] for name in node.input if name in constants]
                return found[0] if found else None
            if node.op_type in _LAYOUT_OPS:
                frontier.extend(node.output)
    return None


class _Graph:
    """Nodes and constants of the graph being written."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.constants: list[Any] = []

    def _name(self, hint: str) -> str:
        return f"{hint}_{len(self.nodes) + len(self.constants)}"

    def const(self, hint: str, array: Any) -> str:
        name = self._name(hint)
        self.constants.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op: str, inputs: list[str], hint: str, **attributes: Any) -> str:
        output = self._name(hint)
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    def pad(self, x: str, width: int, mode: str = "reflect") -> str:
        widths = np.array([0, 0, 0, width, 0, 0, 0, width], np.int64)
        return self.op("Pad", [x, self.const("pads", widths)], f"pad_{mode}", mode=mode)

    def conv(self, x: str, layer: Layer, dilation: int = 1, hint: str = "conv") -> str:
        weights, bias = layer  # [out, in, 1, taps]: already 2-D with a unit height
        inputs = [x, self.const("w", weights), self.const("b", bias)]
        taps = weights.shape[3]
        return self.op("Conv", inputs, hint, dilations=[1, dilation], kernel_shape=[1, taps])

    def upsample(self, x: str, layer: Layer, ratio: int) -> str:
        weights, bias = layer  # [in, out, taps, 1] over (time, 1): swap to (1, time)
        weights = np.ascontiguousarray(weights.transpose(0, 1, 3, 2))
        taps = weights.shape[3]
        # TensorFlow's "same" padding: the output is exactly ``ratio`` times longer.
        crop = taps - ratio
        pads = [0, crop // 2, 0, crop - crop // 2]
        inputs = [x, self.const("w", weights), self.const("b", bias)]
        return self.op(
            "ConvTranspose", inputs, "up", strides=[1, ratio], kernel_shape=[1, taps], pads=pads
        )

    def leaky(self, x: str) -> str:
        return self.op("LeakyRelu", [x], "leaky", alpha=LEAK)


def rebuild(source: Any) -> Any:
    """The vocoder of the converted model ``source`` as a plain graph (same input and output
    names and shapes: ``mels`` ``[1, frames, 80]`` -> ``Identity`` ``[1, samples, 1]``)."""
    layers = iter(read_layers(source.graph))
    quantize = next(n for n in source.graph.node if n.op_type == "QuantizeLinear")
    constants = {init.name: init for init in source.graph.initializer}
    g = _Graph()
    x = g.op("Transpose", ["mels"], "channels_first", perm=[0, 2, 1])
    x = g.op("Unsqueeze", [x, g.const("axes", np.array([2], np.int64))], "unit_height")
    x = g.conv(g.pad(x, 3), next(layers))
    for ratio in UPSAMPLING:
        x = g.upsample(g.leaky(x), next(layers), ratio)
        x = _residual_stack(g, x, layers)
    x = g.conv(g.pad(g.leaky(x), 3), next(layers), hint="subbands")
    x = g.op("Tanh", [x], "tanh")
    step = [g.const("step", numpy_helper.to_array(constants[n])) for n in quantize.input[1:]]
    x = g.op("QuantizeLinear", [x, *step], "quantize")
    x = g.op("DequantizeLinear", [x, *step], "dequantize")
    x = _pqmf_synthesis(g, x, layers)
    x = g.op("Squeeze", [x, g.const("axes", np.array([2], np.int64))], "samples")
    g.nodes.append(helper.make_node("Transpose", [x], ["Identity"], perm=[0, 2, 1]))
    mels = helper.make_tensor_value_info("mels", TensorProto.FLOAT, [1, "frames", 80])
    audio = helper.make_tensor_value_info("Identity", TensorProto.FLOAT, [1, "samples", 1])
    graph = helper.make_graph(g.nodes, "mb_melgan", [mels], [audio], g.constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = source.ir_version
    return model


def _residual_stack(g: _Graph, x: str, layers: Iterator[Layer]) -> str:
    """Four blocks: ``shortcut(x) + pointwise(leaky(dilated(pad(leaky(x)))))``."""
    for dilation in DILATIONS:
        shortcut = g.conv(x, next(layers), hint="shortcut")
        h = g.conv(g.pad(g.leaky(x), dilation), next(layers), dilation, hint="dilated")
        h = g.conv(g.leaky(h), next(layers), hint="pointwise")
        x = g.op("Add", [shortcut, h], "residual")
    return x


def _pqmf_synthesis(g: _Graph, x: str, layers: Iterator[Layer]) -> str:
    """Four sub-bands -> one signal: upsample by 4 (no bias), then the synthesis filter."""
    weights, _ = next(layers)  # [4, 4, 1, 4]
    factor = weights.shape[3]
    x = g.op(
        "ConvTranspose",
        [x, g.const("w", weights)],
        "pqmf_up",
        strides=[1, factor],
        kernel_shape=[1, factor],
    )
    synthesis = next(layers)  # [1, 4, 1, taps]
    return g.conv(g.pad(x, synthesis[0].shape[3] // 2, "constant"), synthesis, hint="pqmf")


def main(source: str, target: str) -> None:
    model = rebuild(onnx.load(source))
    onnx.checker.check_model(model)
    onnx.save(model, target)


if __name__ == "__main__":
    main(*sys.argv[1:])
