"""What the fault tests share: a fast engine, distinct texts, and job helpers."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.jobs import job_view
from tests.support.server import ServerProcess

ESPEAK = {"VOXSERVE_ENGINES": "espeak", "VOXSERVE_DEFAULT_VOICE": "espeak-zh"}
"""The engine does not matter to these faults: the fastest one keeps the tests short."""

_SENTENCES = (
    "清晨的阳光洒在湖面上，微风吹过，泛起一圈圈涟漪。",
    "城市的地铁每天运送数百万乘客，准时而有序。",
    "图书馆里很安静，只有翻书的声音偶尔响起。",
    "孩子们在操场上奔跑，笑声传得很远很远。",
)
_counter = itertools.count(1)


def text(sentences: int = 2) -> str:
    """A text never sent before in this session (the cache must not answer for the engine)."""
    return "".join(f"第{next(_counter)}句。{_SENTENCES[i % 4]}" for i in range(sentences))


def chapter(chars: int) -> str:
    """Distinct numbered sentences of about ``chars`` characters: a job of many units."""
    parts: list[str] = []
    while sum(map(len, parts)) < chars:
        parts.append(text(1))
    return "".join(parts)


def submit(server: ServerProcess, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/jobs", json=body, timeout=30)


def wait_units(server: ServerProcess, job_id: str, count: int, timeout: float = 30) -> None:
    """Wait until ``count`` units of the job are saved."""
    deadline = time.monotonic() + timeout
    while job_view(server, job_id)["progress"]["units_done"] < count:
        assert time.monotonic() < deadline, f"job {job_id} made no progress"
        time.sleep(0.05)


def metric(server: ServerProcess, name: str) -> float:
    """The sum of a Prometheus metric over its labels."""
    body = httpx.get(f"{server.url}/metrics", timeout=10).text
    pattern = rf"^{re.escape(name)}(\{{[^}}]*\}})? ([0-9.e+-]+)$"
    return sum(float(m.group(2)) for m in re.finditer(pattern, body, re.MULTILINE))


def log_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def wait_log(path: Path, fragment: str, timeout: float = 20) -> None:
    """Wait until the server's log at ``path`` has a line with ``fragment``."""
    deadline = time.monotonic() + timeout
    while fragment not in log_text(path):
        assert time.monotonic() < deadline, f"no {fragment!r} in the log after {timeout} s"
        time.sleep(0.1)
