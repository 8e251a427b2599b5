"""Engine registry: every engine voxserve knows, and the ``auto`` choice of which to load."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from voxserve.engines.base import Engine, EngineSpec
from voxserve.errors import InputError
from voxserve.settings import Settings

# name -> "module:attribute" of its EngineSpec; imported lazily so that loading one engine
# does not import every engine's runtime (onnxruntime, ctypes libraries...).
_SPEC_PATHS: Mapping[str, str] = {
    "baker-zh": "voxserve.engines.baker_zh:SPEC",
    "piper": "voxserve.engines.piper:SPEC",
    "espeak": "voxserve.engines.espeak:SPEC",
}


def engine_names() -> list[str]:
    """Every registered engine, in preference order."""
    return list(_SPEC_PATHS)


def engine_spec(name: str) -> EngineSpec:
    try:
        path = _SPEC_PATHS[name]
    except KeyError:
        raise InputError(
            f"unknown engine {name!r}; allowed: {', '.join(_SPEC_PATHS)}", param="engine"
        ) from None
    module, attribute = path.split(":")
    spec: EngineSpec = getattr(importlib.import_module(module), attribute)
    return spec


def selected_engine_names(settings: Settings) -> list[str]:
    """The engines ``settings.engines`` asks for; ``auto`` means every one whose assets exist."""
    if settings.engines.strip() == "auto":
        return [name for name in _SPEC_PATHS if engine_spec(name).available(settings)]
    names = [n.strip() for n in settings.engines.split(",") if n.strip()]
    for name in names:
        engine_spec(name)
    return names


def load_engines(settings: Settings) -> dict[str, Engine]:
    """Load the selected engines (slow: reads weights). Call once per worker process."""
    return {name: engine_spec(name).load(settings) for name in selected_engine_names(settings)}
