"""Slowing every target down the same honest way: CPU-burning neighbours.

``--slowdown half`` runs each stage (server start, warm-up and load) and the raw-capacity loop
beside one busy-loop process per usable core, pinned to that core (``sched_setaffinity``) at
the niceness of the synthesis processes (``VOXSERVE_WORKER_NICE``, 5 in the benchmark). The
kernel then splits each core between a synthesis process and its neighbour: every server, and
the raw loop, gets about half of the machine, as it would beside another tenant's busy job.
The neighbours start before the stage and are killed after it.

A neighbour at a lower niceness than the synthesis processes would take more than half (nice 0
against nice 5 takes three quarters of a core), hence the synthesis processes' niceness. A CPU
quota (cgroup v2 ``cpu.max``) would be the other way; :func:`probe_cgroup_v2` says whether this
machine offers one, and the report's meta records it beside the method used.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from .procstat import CLOCK_TICKS, cpu_ticks

SLOWDOWNS: dict[str, int] = {"none": 0, "half": 1}
"""Each ``--slowdown`` and the number of neighbours it runs per core."""

SPEED_TITLES: dict[str, str] = {"none": "normal speed", "half": "half speed"}

_BURN = """\
import os, sys
core, nice = int(sys.argv[1]), int(sys.argv[2])
os.sched_setaffinity(0, {core})
try:
    os.nice(nice - os.nice(0))
except PermissionError:
    pass
sys.stdout.write("burning\\n")
sys.stdout.flush()
while True:
    pass
"""


def method(slowdown: str, nice: int) -> str:
    """How ``slowdown`` is obtained, in words for the report."""
    per_core = SLOWDOWNS[slowdown]
    if not per_core:
        return "none"
    return (
        f"CPU-burning neighbours: {per_core} busy-loop process per usable core, pinned to it, "
        f"nice {nice}, running from before each server starts (and before each raw-capacity "
        "run) until it stops"
    )


class Neighbours:
    """Busy-loop processes pinned one to each core (``per_core`` each), at niceness ``nice``.

    ``start()`` returns once every one of them runs on its core at its niceness; ``stop()``
    kills and reaps them and returns what they used. Usable as a context manager.
    """

    def __init__(self, per_core: int = 1, nice: int = 0, cores: Iterable[int] | None = None):
        self.per_core = per_core
        self.nice = nice
        self.cores = sorted(os.sched_getaffinity(0) if cores is None else cores)
        self.processes: list[subprocess.Popen[bytes]] = []
        self._started = 0.0

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def start(self) -> Neighbours:
        """Start the neighbours and wait until each is pinned, niced and burning."""
        try:
            for core in self.cores:
                for _ in range(self.per_core):
                    argv = [sys.executable, "-I", "-S", "-c", _BURN, str(core), str(self.nice)]
                    self.processes.append(
                        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
                    )
            for process in self.processes:
                assert process.stdout is not None
                if process.stdout.readline() != b"burning\n":
                    raise RuntimeError(f"CPU neighbour {process.pid} did not start")
        except BaseException:
            self.stop()
            raise
        self._started = time.perf_counter()
        return self

    def stop(self) -> dict[str, Any]:
        """Kill and reap every neighbour; returns their count, niceness, lifetime and the CPU
        seconds they used (so that a report can show they did burn)."""
        seconds = time.perf_counter() - self._started if self._started else 0.0
        used = sum(cpu_ticks(p.pid) or 0 for p in self.processes if p.poll() is None)
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGKILL)
        for process in self.processes:
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
        count = len(self.processes)
        self.processes = []
        self._started = 0.0
        cpu_s = used / CLOCK_TICKS
        return {
            "processes": count,
            "nice": self.nice,
            "cores": self.cores,
            "seconds": seconds,
            "cpu_s": cpu_s,
            "cpu_pct_mean": 100 * cpu_s / seconds if seconds > 0 else 0.0,
        }

    def __enter__(self) -> Neighbours:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def probe_cgroup_v2() -> dict[str, Any]:
    """Whether a CPU quota could be set here: a cgroup v2 hierarchy with the ``cpu``
    controller, where a child cgroup can be created and its ``cpu.max`` written. Creates and
    removes one empty child cgroup at most; changes nothing else."""
    mounts = Path("/proc/mounts").read_text().splitlines()
    roots = [
        line.split()[1] for line in mounts if len(line.split()) > 2 and line.split()[2] == "cgroup2"
    ]
    if not roots:
        return {"cpu_max_writable": False, "detail": "no cgroup v2 hierarchy mounted"}
    root = Path(roots[0])
    try:
        controllers = (root / "cgroup.controllers").read_text().split()
    except OSError as error:
        return {"cpu_max_writable": False, "detail": f"{root}: {error}"}
    if "cpu" not in controllers:
        detail = f"{root}: no cpu controller (controllers: {' '.join(controllers) or 'none'})"
        return {"cpu_max_writable": False, "detail": detail}
    child = root / f"voxserve-bench-probe-{os.getpid()}"
    try:
        child.mkdir()
    except OSError as error:
        return {"cpu_max_writable": False, "detail": f"cannot create {child}: {error}"}
    try:
        (child / "cpu.max").write_text("max 100000\n")
    except OSError as error:
        return {"cpu_max_writable": False, "detail": f"cannot write {child}/cpu.max: {error}"}
    finally:
        with contextlib.suppress(OSError):
            child.rmdir()
    return {"cpu_max_writable": True, "detail": f"{root}: cpu.max of a child cgroup is writable"}
