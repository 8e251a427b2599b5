"""CPU and memory of a process tree over time, read from Linux ``/proc`` (no psutil).

A server is a tree: uvicorn plus its synthesis workers, or the gunicorn master plus its sync
workers, or uvicorn plus a process pool. Its CPU is the sum over the tree of each process's
``utime + stime`` growth between two samples; its memory is the sum of resident sets (RSS,
which counts pages shared between forked processes once per process) and of proportional sets
(PSS, which splits them: the honest total for forked trees).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:  # the process exited between listing and reading: it simply drops out
        return None


def cpu_ticks(pid: int) -> int | None:
    """User + system clock ticks of ``pid`` (all its threads; not its children)."""
    text = _read(f"/proc/{pid}/stat")
    if text is None:
        return None
    # The command name may hold spaces and parentheses: fields start after the last ")".
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (every thread's ``children`` file)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = _read(str(task / "children"))
            if text:
                found.extend(int(c) for c in text.split())
    return found


def tree(root: int) -> list[int]:
    """``root`` and all its descendants that are alive now."""
    pids, queue = [], [root]
    while queue:
        pid = queue.pop()
        if Path(f"/proc/{pid}").exists():
            pids.append(pid)
            queue.extend(children(pid))
    return pids


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of ``pid`` in KiB; PSS falls back to RSS where smaps_rollup is unreadable."""
    rss = 0
    status = _read(f"/proc/{pid}/status") or ""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    pss = rss
    rollup = _read(f"/proc/{pid}/smaps_rollup") or ""
    for line in rollup.splitlines():
        if line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss


def system_busy_ticks() -> tuple[int, int]:
    """(busy, total) ticks of all CPUs since boot, from the first line of ``/proc/stat``."""
    values = [int(v) for v in (_read("/proc/stat") or "cpu 0").splitlines()[0].split()[1:]]
    idle = sum(values[3:5])  # idle + iowait
    return sum(values) - idle, sum(values)


class ResourceSampler:
    """Samples a process tree, this process (the load generator) and the whole machine.

    Each row: ``t`` (wall-clock time), ``dt`` (seconds since the previous sample),
    ``cpu_pct`` of the tree, ``generator_cpu_pct`` of this process, ``system_cpu_pct`` of the
    machine (all in % of one core, so 2 busy cores = 200), ``rss_mib`` and ``pss_mib`` of the
    tree, and ``procs`` (its process count).
    """

    def __init__(self, root: int, interval: float = 0.5) -> None:
        self.root = root
        self.interval = interval
        self.rows: list[dict[str, float]] = []
        self._ticks: dict[int, int] = {}
        self._self_ticks = cpu_ticks(os.getpid()) or 0
        self._system = system_busy_ticks()
        self._last = time.time()
        self._cores = os.cpu_count() or 1
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> dict[str, float]:
        """Take one sample now and append it to :attr:`rows`."""
        now = time.time()
        dt = max(now - self._last, 1e-6)
        pids = tree(self.root)
        grown = 0
        ticks: dict[int, int] = {}
        for pid in pids:
            value = cpu_ticks(pid)
            if value is not None:
                ticks[pid] = value
                # A process born since the last sample brings all its ticks (it used them since).
                grown += value - self._ticks.get(pid, 0)
        rss = pss = 0
        for pid in ticks:
            r, p = memory_kib(pid)
            rss, pss = rss + r, pss + p
        own = cpu_ticks(os.getpid()) or 0
        busy, total = system_busy_ticks()
        row = {
            "t": now,
            "dt": dt,
            "cpu_pct": 100.0 * grown / CLOCK_TICKS / dt,
            "generator_cpu_pct": 100.0 * (own - self._self_ticks) / CLOCK_TICKS / dt,
            "system_cpu_pct": 100.0 * self._cores * _share(busy, total, self._system),
            "rss_mib": rss / 1024,
            "pss_mib": pss / 1024,
            "procs": float(len(ticks)),
        }
        self._ticks, self._self_ticks, self._system, self._last = ticks, own, (busy, total), now
        self.rows.append(row)
        return row

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.sample()

    def start(self) -> None:
        """Sample every ``interval`` seconds on the running event loop until :meth:`stop`."""
        self.sample()  # baseline for the first delta; its CPU figures cover the time before
        self.rows.clear()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> list[dict[str, float]]:
        """Stop sampling (one last sample first) and return every row."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.sample()
        return self.rows


def _share(busy: int, total: int, previous: tuple[int, int]) -> float:
    elapsed = total - previous[1]
    return (busy - previous[0]) / elapsed if elapsed > 0 else 0.0
