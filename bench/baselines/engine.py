"""The engine every baseline calls, loaded and warmed up exactly as voxserve's workers are.

Settings come from the same ``VOXSERVE_*`` environment the benchmark gives voxserve (engine
list, engine threads, default voice, worker niceness), with the Mandarin ``baker-zh`` engine and
one intra-op thread as defaults, so that both baselines and voxserve run the same engine the
same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from voxserve.audio.encode import encode
from voxserve.pipeline import Synthesizer
from voxserve.prosody import dsp
from voxserve.prosody.emotions import EMOTIONS
from voxserve.settings import Settings
from voxserve.types import AudioFormat, SynthesisRequest

WARM_UP_TEXT = "您好，欢迎使用语音合成服务。"
READY_DIR_ENV = "BENCH_READY_DIR"
"""Where a loaded baseline process drops a file named after its pid (readiness for the runner)."""


def settings() -> Settings:
    """The engine settings of every target (see the module docstring)."""
    return Settings(
        engines=os.environ.get("VOXSERVE_ENGINES", "baker-zh"),
        engine_threads=int(os.environ.get("VOXSERVE_ENGINE_THREADS", "1")),
    )


def load() -> Synthesizer:
    """Lower this process's priority as voxserve lowers its workers', load the engines, warm up
    the DSP and the engine once, and report readiness."""
    config = settings()
    # Same niceness as voxserve's synthesis processes: on a machine shared with other work,
    # a target at a higher priority would take CPU time the others cannot.
    os.nice(config.worker_nice)
    synthesizer = Synthesizer.load(config)
    dsp.warm_up()  # voxserve's workers do the same before their first request
    synthesize_wav(synthesizer, WARM_UP_TEXT)
    ready_dir = os.environ.get(READY_DIR_ENV)
    if ready_dir:
        (Path(ready_dir) / str(os.getpid())).touch()
    return synthesizer


def invalid_emotion(emotion: object, intensity: object) -> str | None:
    """Why ``emotion`` and ``intensity`` (as a request gave them) cannot be spoken, or None:
    the baselines accept what voxserve's ``POST /v1/tts`` accepts for these two fields."""
    if not isinstance(emotion, str) or emotion not in EMOTIONS:
        return f"emotion must be one of {', '.join(EMOTIONS)}"
    if isinstance(intensity, bool) or not isinstance(intensity, int | float):
        return "intensity must be a number within 0..2"
    if not 0.0 <= intensity <= 2.0:
        return "intensity must be a number within 0..2"
    return None


def synthesize_wav(
    synthesizer: Synthesizer, text: str, emotion: str = "neutral", intensity: float = 1.0
) -> tuple[bytes, float]:
    """``text`` spoken with the default voice in ``emotion``, as a WAV file, and its duration
    in seconds. The emotion goes through voxserve's own pipeline (its prosody presets and
    rendering), exactly as voxserve's workers speak it."""
    request = SynthesisRequest(
        text=text, emotion=emotion, intensity=intensity, format=AudioFormat.WAV
    )
    result = synthesizer.synthesize(request)
    return encode(result.pcm, result.sample_rate, AudioFormat.WAV), result.duration
