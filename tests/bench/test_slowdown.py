"""CPU-burning neighbours: pinned one per core, at the niceness asked, gone when stopped."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from loadgen import runner
from loadgen.procstat import children
from loadgen.slowdown import Neighbours, method, probe_cgroup_v2
from loadgen.targets import Launch


def test_neighbours_burn_a_core_each_and_are_gone_afterwards() -> None:
    cores = sorted(os.sched_getaffinity(0))
    burners = Neighbours(per_core=1, nice=5).start()
    pids = burners.pids
    try:
        assert len(pids) == len(cores)
        assert [os.sched_getaffinity(pid) for pid in pids] == [{c} for c in cores]
        assert all(os.getpriority(os.PRIO_PROCESS, pid) == 5 for pid in pids)
        time.sleep(0.5)
    finally:
        used = burners.stop()
    assert used["processes"] == len(cores)
    assert used["seconds"] >= 0.5
    # Each had a share of its core, however busy the machine is (alone: 100% each).
    assert used["cpu_s"] > 0.1 * len(cores), used
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
    assert burners.stop()["processes"] == 0  # stopping twice is harmless


def test_the_runner_starts_neighbours_only_to_slow_down() -> None:
    launch = Launch(1, {"VOXSERVE_WORKER_NICE": "5"}, {})
    config = runner.RunConfig(runner.PROFILES["quick"], (), launch, (1,), neighbour_nice=5)
    before = set(children(os.getpid()))
    with runner.neighbours(config) as used:
        assert set(children(os.getpid())) == before
    assert used == {}
    with runner.neighbours(replace(config, slowdown="half")) as used:
        started = set(children(os.getpid())) - before
        assert len(started) == len(os.sched_getaffinity(0))
    assert used["processes"] == len(started)
    assert used["nice"] == 5
    assert not any(Path(f"/proc/{pid}").exists() for pid in started)
    assert method("none", 5) == "none"
    assert "nice 5" in method("half", 5)


def test_cgroup_probe_answers_without_raising() -> None:
    probe = probe_cgroup_v2()
    assert isinstance(probe["cpu_max_writable"], bool)
    assert probe["detail"]
