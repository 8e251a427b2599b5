"""glibc malloc tuning: large freed buffers go back to the system instead of pinning the heap."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from voxserve.allocator import tune_allocator
from voxserve.settings import Settings

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")

# Buffers of 0.5 to 1.5 MB (the size of cached answers) churn while every tenth one is kept:
# carved from the heap, the survivors pin the holes between them and the resident size stays
# near the peak; each in its own mapping, the freed ones are unmapped.
_CHURN = """
import json, sys
from voxserve.allocator import tune_allocator
from voxserve.settings import Settings

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

if sys.argv[1] == "tuned":
    tune_allocator(Settings())
big = b"x" * (2 * 2**20)
del big  # a freed mapping: untuned, glibc raises its threshold above its size
start = rss_mib()
buffers = [b"x" * (512 * 1024 + (i * 7919) % (1024 * 1024)) for i in range(400)]
kept = buffers[::10]
del buffers
print(json.dumps({"growth_mib": rss_mib() - start, "kept": len(kept)}))
"""


def _churn(mode: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run(
        [sys.executable, "-c", _CHURN, mode], env=env, capture_output=True, check=True, text=True
    )
    return float(json.loads(out.stdout)["growth_mib"])


@glibc_only
def test_freed_large_buffers_leave_the_process_when_tuned() -> None:
    untuned, tuned = _churn("untuned"), _churn("tuned")
    assert tuned < 80, f"tuned: {tuned:.0f} MiB still resident for 40 kept buffers (~40 MiB)"
    assert untuned > 2 * tuned, f"untuned {untuned:.0f} MiB vs tuned {tuned:.0f} MiB"


@glibc_only
def test_settings_choose_what_is_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert tune_allocator(Settings(malloc_mmap_threshold=0, malloc_arena_max=0)) == {}
    assert tune_allocator(Settings(malloc_arena_max=0)) == {"MALLOC_MMAP_THRESHOLD_": 128 * 1024}


@glibc_only
def test_workers_keep_the_sliding_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert tune_allocator(Settings(), worker=True) == {"MALLOC_ARENA_MAX": 2}


@glibc_only
def test_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert tune_allocator(Settings(malloc_mmap_threshold=0)) == {}
