"""The load benchmark end to end, on the fast espeak engine: harness, baselines, report."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import load
from loadgen import runner
from loadgen.targets import TARGETS, Launch

ESPEAK = ["--engines", "espeak", "--voice", "espeak-zh", "--workers", "1"]
PLOTS = {
    "qps_vs_users.png",
    "latency_vs_users.png",
    "latency_distribution_50.png",
    "cpu_memory_over_time.png",
}
GOODPUT_PLOT = "goodput_vs_users.png"


@pytest.mark.slow
def test_harness_measures_voxserve_raw_capacity_and_itself(tmp_path: Path) -> None:
    argv = [*ESPEAK, "--users", "3", "--seconds", "0.5", "--out", str(tmp_path / "run")]
    out = load.main([*argv, "--targets", "overhead,raw,voxserve"])
    assert {p.name for p in out.iterdir()} == {"report.json", "summary.md", *PLOTS, GOODPUT_PLOT}
    report = json.loads((out / "report.json").read_text())
    (section,) = report["sections"]
    assert (section["slowdown"], section["workload"]) == ("none", "neutral")

    stage = section["targets"]["voxserve"]["stages"][0]
    assert stage["users"] == 3
    assert stage["ok"] > 0
    assert stage["error_rate"] == 0.0
    assert stage["audio_s_per_s"] > 0
    assert stage["goodput_audio_s_per_s"] == stage["audio_s_per_s"]  # espeak: all in time
    assert stage["statuses"] == {"timeout": 0, "error": 0}
    assert stage["resources"]["cpu_pct_mean"] > 0
    assert stage["resources"]["pss_mib_max"] > 50  # uvicorn plus one worker with its engine
    raw = section["raw"]
    assert raw["qps"] > 0
    (row,) = section["comparison"]
    assert row["fraction_of_raw"] == pytest.approx(stage["qps"] / raw["qps"])
    assert row["goodput_fraction_of_raw"] == pytest.approx(
        stage["goodput_audio_s_per_s"] / raw["audio_s_per_s"]
    )
    assert row["ratio_to"] == {"flask": None, "fastapi": None}
    assert row["no_timeouts_no_5xx"] is True
    overhead = report["overhead_summary"]
    assert overhead["max_qps"] > 10 * stage["qps"]
    assert overhead["generator_cpu_ms_per_request"] > 0

    summary = (out / "summary.md").read_text()
    assert "| 3 | voxserve |" in summary
    assert "Load generator overhead" in summary
    assert "### Acceptance" in summary
    assert all(f"]({name})" in summary for name in PLOTS)
    assert report["meta"]["command"].startswith(".venv/bin/python bench/load.py --engines espeak")


@pytest.mark.slow
def test_both_speeds_in_one_run_slow_the_raw_capacity_down(tmp_path: Path) -> None:
    argv = [*ESPEAK, "--seconds", "1", "--out", str(tmp_path / "run"), "--targets", "raw"]
    out = load.main([*argv, "--slowdown", "none,half"])
    report = json.loads((out / "report.json").read_text())
    normal, half = report["sections"]
    assert (normal["slowdown"], half["slowdown"]) == ("none", "half")
    assert all("neighbours" not in run for run in normal["raw"]["runs"])
    for run in half["raw"]["runs"]:
        assert run["neighbours"]["processes"] == report["meta"]["machine"]["usable_cores"]
        assert run["neighbours"]["cpu_s"] > 0
    assert half["raw"]["audio_s_per_s"] < normal["raw"]["audio_s_per_s"]
    assert "CPU-burning neighbours" in report["meta"]["slowdown_methods"]["half"]
    summary = (out / "summary.md").read_text()
    assert "## Side by side" in summary
    assert "half speed" in summary and "against normal speed" in summary


@pytest.mark.slow
def test_baselines_and_streaming_answer_the_same_requests() -> None:
    env = {"VOXSERVE_ENGINES": "espeak", "VOXSERVE_ENGINE_THREADS": "1"}
    env["VOXSERVE_DEFAULT_VOICE"] = "espeak-zh"
    launch = Launch(1, env, {"VOXSERVE_CACHE_BACKEND": "off"})
    # The emotional workload: every target must accept voxserve's emotion fields.
    config = runner.RunConfig(
        runner.Profile("test", 0.5, 0.5, 0.5, warmup_requests=1),
        (),
        launch,
        (2,),
        workload="emotional",
    )

    async def measure() -> dict[str, dict[str, Any]]:
        names = ("flask", "fastapi", "voxserve-stream")
        return {n: await runner.measure_stage(TARGETS[n], 2, config) for n in names}

    stages = asyncio.run(measure())
    for name, stage in stages.items():
        assert stage["ok"], name
        assert stage["error_rate"] == 0.0, (name, stage["errors"])
        assert stage["audio_s_per_s"] > 0, name
    ttfa = stages["voxserve-stream"]["ttfa"]
    assert isinstance(ttfa, dict)
    latency = stages["voxserve-stream"]["latency"]
    assert isinstance(latency, dict)
    assert 0 < ttfa["p50"] <= latency["p50"]
