from __future__ import annotations

import dataclasses
import subprocess
import sys
from enum import StrEnum
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

from voxserve.cache.keys import SCHEMA_VERSION, cache_key, canonical
from voxserve.types import Prosody


@dataclasses.dataclass(frozen=True)
class Unit:
    engine: str
    model_checksum: str
    voice: str
    text: str
    prosody: Prosody
    sample_rate: int


BASE = Unit("baker-zh", "sha256:aaaa", "zh-baker", "今天天气真好。", Prosody(), 24000)


def test_format_is_kind_version_and_sha256_hex() -> None:
    key = cache_key("unit", BASE)
    kind, version, digest = key.split(":")
    assert (kind, version) == ("unit", f"v{SCHEMA_VERSION}")
    assert len(digest) == 64
    int(digest, 16)


def test_same_parts_same_key() -> None:
    assert cache_key("unit", BASE) == cache_key("unit", dataclasses.replace(BASE))


def test_key_is_the_same_in_another_process() -> None:
    # hash() is salted per process; the key must not be.
    code = (
        "from voxserve.cache.keys import cache_key; from voxserve.types import Prosody;"
        "print(cache_key('unit', 'baker-zh', {'b': 1.5, 'a': [1, 'x']}, Prosody(rate=1.2)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == cache_key("unit", "baker-zh", {"a": [1, "x"], "b": 1.5}, Prosody(rate=1.2))


@pytest.mark.parametrize(
    "change",
    [
        {"engine": "piper"},
        {"model_checksum": "sha256:bbbb"},
        {"voice": "zh-other"},
        {"text": "今天天气真好！"},
        {"prosody": Prosody(rate=1.1)},
        {"prosody": Prosody(pitch=2.0)},
        {"prosody": Prosody(pitch_range=1.2)},
        {"prosody": Prosody(gain_db=-3.0)},
        {"prosody": Prosody(pause_scale=1.5)},
        {"sample_rate": 22050},
    ],
)
def test_every_field_changes_the_key(change: dict[str, object]) -> None:
    assert cache_key("unit", dataclasses.replace(BASE, **change)) != cache_key("unit", BASE)  # type: ignore[arg-type]


def test_rebuilt_model_gets_new_keys() -> None:
    before = cache_key("unit", dataclasses.replace(BASE, model_checksum="sha256:" + "1" * 64))
    after = cache_key("unit", dataclasses.replace(BASE, model_checksum="sha256:" + "2" * 64))
    assert before != after


def test_kind_and_order_of_parts_matter() -> None:
    assert cache_key("unit", "a", "b") != cache_key("response", "a", "b")
    assert cache_key("unit", "a", "b") != cache_key("unit", "b", "a")
    assert cache_key("unit", ["a", "b"]) != cache_key("unit", "a", "b")


def test_floats_are_rounded_and_integral_floats_equal_ints() -> None:
    assert cache_key("u", 1.0000000001) == cache_key("u", 1.0) == cache_key("u", 1)
    assert cache_key("u", -0.0) == cache_key("u", 0)
    assert cache_key("u", 1.000001) != cache_key("u", 1.0)
    assert cache_key("u", np.float32(0.5)) == cache_key("u", 0.5)
    assert cache_key("u", True) != cache_key("u", 1)


def test_mapping_order_does_not_matter() -> None:
    assert cache_key("u", {"a": 1, "b": 2}) == cache_key("u", {"b": 2, "a": 1})
    assert cache_key("u", {3, 1, 2}) == cache_key("u", {2, 3, 1})


class Color(StrEnum):
    RED = "red"


class Options(BaseModel):
    speed: float = 1.0
    voice: str = "zh-baker"


def test_supported_values() -> None:
    assert canonical(Color.RED) == "red"
    assert canonical(Path("a/b")) == "a/b"
    assert canonical(b"\x00\xff") == {"$bytes": "00ff"}
    assert canonical(float("inf")) == {"$float": "inf"}
    assert canonical(Options()) == {"speed": 1, "voice": "zh-baker"}
    assert cache_key("u", Options(speed=1.5)) != cache_key("u", Options())
    assert canonical((1, [2.5])) == [1, [2.5]]


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError):
        cache_key("u", object())


@pytest.mark.parametrize("kind", ["", "a:b"])
def test_bad_kind(kind: str) -> None:
    with pytest.raises(ValueError):
        cache_key(kind, 1)
