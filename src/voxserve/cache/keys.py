"""Cache keys: a stable hash of everything that changes the audio.

Keys must be identical across processes, restarts and Python versions, so they hash a canonical
JSON text (never ``hash()``, which is salted per process). Bump :data:`SCHEMA_VERSION` whenever
the meaning of a cached value changes (sample format, DSP chain) to orphan every old entry.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import PurePath

import numpy as np
from pydantic import BaseModel

SCHEMA_VERSION = 1
FLOAT_DIGITS = 6
"""Floats are rounded to this many digits, so that 1.0000000001 and 1.0 share an entry."""

JSON = None | bool | int | float | str | list["JSON"] | dict[str, "JSON"]


def cache_key(kind: str, *parts: object) -> str:
    """``"<kind>:v<schema>:<sha256 hex>"`` over the canonical form of ``parts``.

    Parts may be None, bools, numbers, strings, bytes, enums, paths, sequences, sets, mappings,
    dataclasses and pydantic models, nested freely. Anything else raises TypeError rather than
    falling back on ``repr`` (which may hold memory addresses and so differ between processes).
    """
    if not kind or ":" in kind:
        raise ValueError(f"cache key kind must be non-empty and without ':'; got {kind!r}")
    text = json.dumps(
        [canonical(part) for part in parts],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"{kind}:v{SCHEMA_VERSION}:{digest}"


def canonical(value: object) -> JSON:
    """``value`` as plain JSON data that compares equal exactly when the audio would."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float | np.floating):
        return _canonical_float(float(value))
    if isinstance(value, np.integer | np.bool_):
        return canonical(value.item())
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": bytes(value).hex()}
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, BaseModel):
        return canonical(value.model_dump(mode="python"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {_canonical_mapping_key(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    if isinstance(value, set | frozenset):
        items = [canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    raise TypeError(f"cannot use a {type(value).__name__} in a cache key")


def _canonical_float(value: float) -> JSON:
    if not math.isfinite(value):
        return {"$float": repr(value)}  # "inf", "-inf", "nan": JSON has no literal for them
    rounded = round(value, FLOAT_DIGITS)
    # 1 and 1.0 (and -0.0 and 0.0) are the same parameter value: give them one key.
    return int(rounded) if rounded.is_integer() else rounded


def _canonical_mapping_key(key: object) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, enum.Enum) and isinstance(key.value, str):
        return key.value
    return json.dumps(canonical(key), sort_keys=True, separators=(",", ":"))
