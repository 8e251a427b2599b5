"""Process-tree CPU and memory sampling from /proc."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

from loadgen.procstat import CLOCK_TICKS, ResourceSampler, cpu_ticks, memory_kib, tree

BUSY = "import time\nend = time.time() + 3\nwhile time.time() < end: pass\n"


def test_tree_finds_children_and_grandchildren() -> None:
    script = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {BUSY!r}])"
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 5
        while len(tree(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = tree(parent.pid)
        assert pids[0] == parent.pid
        assert len(pids) == 2
        assert parent.pid in tree(os.getpid())
    finally:
        for pid in reversed(tree(parent.pid)):
            os.kill(pid, 9)
        parent.wait()


def test_cpu_and_memory_of_this_process() -> None:
    assert (cpu_ticks(os.getpid()) or 0) > 0
    rss, pss = memory_kib(os.getpid())
    assert rss > 10_000
    assert 0 < pss <= rss * 1.01
    assert cpu_ticks(2**22 + 12345) is None  # no such process


def test_sampler_cpu_adds_up_to_the_ticks_a_busy_child_used() -> None:
    child = subprocess.Popen([sys.executable, "-c", BUSY])

    async def sample() -> tuple[list[dict[str, float]], float]:
        sampler = ResourceSampler(child.pid, interval=0.25)
        sampler.start()
        before = cpu_ticks(child.pid) or 0
        await asyncio.sleep(1.5)
        rows = await sampler.stop()
        return rows, ((cpu_ticks(child.pid) or 0) - before) / CLOCK_TICKS

    try:
        rows, used = asyncio.run(sample())
    finally:
        child.kill()
        child.wait()
    measured = sum(r["cpu_pct"] / 100 * r["dt"] for r in rows)
    assert used > 0.2  # it did spin, however busy the machine is
    assert abs(measured - used) < 0.15, (measured, used)
    assert all(r["cpu_pct"] <= 110 for r in rows[1:])  # one thread: at most one core
    assert all(r["rss_mib"] > 1 for r in rows)
    assert all(0 <= r["system_cpu_pct"] <= 100 * (os.cpu_count() or 1) + 1 for r in rows)
