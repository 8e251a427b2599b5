"""The current baker-zh build (recipe 3): folded acoustic weights and a plain vocoder graph,
each checked against the converted graph when it was built (old builds: tests/models/
test_store.py)."""

from __future__ import annotations

import json
from pathlib import Path

import onnxruntime as ort
import pytest

from voxserve.models import ModelStore
from voxserve.models import baker_zh as recipe
from voxserve.models.buildenv import BuildEnv
from voxserve.models.manifest import Manifest
from voxserve.models.store import BUILD_DIR
from voxserve.settings import Settings


@pytest.fixture(scope="module")
def store() -> ModelStore:
    settings = Settings()
    ModelStore(settings).build("baker-zh", progress=print)
    return ModelStore(settings)


def test_the_build_recorded_its_checks_within_their_tolerances(store: ModelStore) -> None:
    manifest = Manifest.read(store.path("baker-zh"))
    assert manifest.recipe_version == recipe.RECIPE_VERSION == 3
    assert 0 <= manifest.extra["folded_mel_difference"] <= recipe.MEL_TOLERANCE
    assert 0 <= manifest.extra["vocoder_rms_difference"] <= recipe.AUDIO_TOLERANCE


_OPERATORS = """
import json, sys
import onnx
model = onnx.load(sys.argv[1])
constants = [init.name for init in model.graph.initializer]
nodes = [[node.op_type, list(node.input)] for node in model.graph.node]
print(json.dumps({"constants": constants, "nodes": nodes}))
"""


def _graph(path: Path) -> tuple[set[str], list[tuple[str, list[str]]]]:
    """The constants and the nodes of an ONNX file, read with ``onnx`` in the model's build
    environment (voxserve's own has no ``onnx``; the build made that environment)."""
    env = BuildEnv(Settings().model_dir / BUILD_DIR / "venv-baker-zh", recipe.BUILD_REQUIREMENTS)
    assert env.is_ready(), "the baker-zh build environment is gone (voxserve models build)"
    found = json.loads(env.run(["-c", _OPERATORS, path], what="reading the graph"))
    return set(found["constants"]), [(op, inputs) for op, inputs in found["nodes"]]


def test_no_weight_is_dequantized_at_run_time(store: ModelStore) -> None:
    constants, nodes = _graph(store.path("baker-zh") / recipe.ACOUSTIC_FILE)
    dequantized = [i for op, i in nodes if op == "DequantizeLinear" and i[0] in constants]
    assert dequantized == []
    assert sum(op == "MatMul" for op, _ in nodes) == 40  # the network is all there


def test_the_vocoder_is_a_plain_graph_of_convolutions(store: ModelStore) -> None:
    _, nodes = _graph(store.path("baker-zh") / recipe.VOCODER_FILE)
    kinds = [op for op, _ in nodes]
    # 39 convolutions and 4 transposed ones, as converted; none of the layout shuffling.
    assert kinds.count("Conv") == 39 and kinds.count("ConvTranspose") == 4
    assert len(kinds) < 200  # the converted graph had 989 nodes
    assert "Slice" not in kinds and "Reshape" not in kinds


def test_the_rewritten_vocoder_keeps_its_interface(store: ModelStore) -> None:
    session = ort.InferenceSession(str(store.path("baker-zh") / recipe.VOCODER_FILE))
    (mels,) = session.get_inputs()
    (audio,) = session.get_outputs()
    assert (mels.name, mels.shape[0], mels.shape[2]) == ("mels", 1, 80)
    assert (audio.name, audio.shape[0], audio.shape[2]) == ("Identity", 1, 1)
