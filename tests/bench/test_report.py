"""The report's goodput comparisons, acceptance checks and sections."""

from __future__ import annotations

from typing import Any

import pytest

from loadgen import report
from loadgen.stats import sample_from_row, stage_stats


def _stage(users: int, rows: list[list[Any]], deadline: float = 10.0) -> dict[str, Any]:
    samples = [sample_from_row(r) for r in rows]
    stage = stage_stats(samples, users, 20.0, 0, deadline).to_json()
    return {**stage, "samples": rows, "series": [], "resources": {}}


def _section(slowdown: str, raw_audio: float, scale: float = 1.0) -> dict[str, Any]:
    def ok(audio: float, latency: float = 2.0) -> list[Any]:
        return [0.0, latency, "ok", 200, None, audio * scale, 80]

    voxserve = [
        _stage(10, [ok(400.0), [0, 0.1, "429", 429, None, 0, 80]]),
        _stage(50, [ok(380.0), [0, 0.1, "5xx", 503, None, 0, 80]]),
    ]
    flask = [
        _stage(10, [ok(410.0)]),
        _stage(50, [ok(300.0), ok(100.0, latency=12.0), [0, 10, "timeout", None, None, 0, 80]]),
    ]
    stream = [_stage(10, [[0.0, 2.0, "ok", 200, 0.4, 400.0, 80]])]
    return {
        "slowdown": slowdown,
        "workload": "neutral",
        "title": f"{'normal' if slowdown == 'none' else 'half'} speed, neutral workload",
        "targets": {
            "voxserve": {"title": "voxserve", "stream": False, "stages": voxserve},
            "voxserve-stream": {"title": "voxserve (streaming)", "stream": True, "stages": stream},
            "flask": {"title": "Flask + gunicorn", "stream": False, "stages": flask},
        },
        "raw": {
            "audio_s_per_s": raw_audio,
            "qps": 4.0,
            "chars_per_s": 350.0,
            "workers": 2,
            "seconds": 20.0,
            "latency": {"p50": 0.5, "p99": 1.2},
            "resources": {},
            "runs": [{"audio_s_per_s": raw_audio}],
        },
    }


def _meta() -> dict[str, Any]:
    return {"timeout": 10.0, "deadline_s": 10.0, "stage_seconds": 20.0}


def test_comparison_puts_voxserve_goodput_against_raw_and_the_baselines() -> None:
    built = report.build(_meta(), {"sections": [_section("none", raw_audio=21.0)]})
    ten, fifty = built["sections"][0]["comparison"]
    assert ten["goodput_audio_s_per_s"] == pytest.approx(20.0)
    assert ten["goodput_fraction_of_raw"] == pytest.approx(20.0 / 21.0)
    assert ten["goodput_at_least"] == {"flask": False, "fastapi": None}
    # Flask's late answer delivered audio but no goodput: 300 / 20 s against voxserve's 380.
    assert fifty["goodput_ratio_to"]["flask"] == pytest.approx(380.0 / 300.0)
    assert fifty["audio_ratio_to"]["flask"] == pytest.approx(380.0 / 400.0)
    assert fifty["goodput_at_least"]["flask"] is True
    assert fifty["statuses"] == {"503": 1, "timeout": 0, "error": 0}


def test_acceptance_states_every_check_per_stage_and_speed() -> None:
    sections = [_section("none", raw_audio=21.0), _section("half", 10.5, scale=0.5)]
    built = report.build(_meta(), {"sections": sections})
    built["meta"].update(
        started="now",
        profile="test",
        machine={"cpu": "x", "cores": 2, "memory_gib": 1.0, "python": "3"},
        command="c",
        workers=2,
        engines="e",
        engine_threads=1,
        corpus={"texts": 40, "mean_chars": 87.0},
        voxserve_env={},
        loadavg_before="0",
        loadavg_after="0",
        wall_s=1.0,
    )
    text = report.markdown(built)
    assert text.count("### Acceptance") == 2
    assert "## Side by side" in text
    assert "| - | raw engine capacity | 21.0 | 100.0% | 10.5 | 100.0% |" in text
    assert "half speed 10.5 against normal speed 21.0 audio s/s (0.50x)" in text
    assert "below at 10 users (flask)" in text
    assert "voxserve 5xx answers: 1, timeouts: 0" in text
    assert "429 answers at 10 users: 1" in text
    assert "goodput at 50 users: 90.5% of the raw capacity (>= 90%: yes)" in text
    assert "streaming time to first audio at 10 users: P50 0.400 s, P95 0.400 s" in text
    assert "| 50 | Flask + gunicorn |" in text and "timeout: 1" in text


def test_an_old_report_becomes_one_section_with_goodput_from_its_samples() -> None:
    section = _section("none", raw_audio=21.0)
    for target in section["targets"].values():
        for stage in target["stages"]:
            for key in ("statuses", "goodput_audio_s_per_s", "late", "deadline_s"):
                del stage[key]
    old = {"targets": section["targets"], "raw": section["raw"]}
    built = report.build(_meta(), old)
    (only,) = built["sections"]
    assert (only["slowdown"], only["workload"]) == ("none", "neutral")
    flask_50 = only["targets"]["flask"]["stages"][1]
    assert flask_50["goodput_audio_s_per_s"] == pytest.approx(300.0 / 20)
    assert flask_50["late"] == 1
    assert flask_50["statuses"] == {"timeout": 1, "error": 0}
