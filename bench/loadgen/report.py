"""The report of a run: ``report.json`` (every figure and sample), ``summary.md``, the plots.

The Markdown summary follows the study's layout: one row per stage (virtual users) and server,
with QPS, goodput, latency percentiles, status codes, CPU and memory; above it, voxserve's QPS,
audio and goodput as fractions of the raw engine capacity and as ratios to each baseline, and
the acceptance checks, stage by stage. A run of several speeds or workloads has one section
for each, and a side-by-side table of every server's goodput in each.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .slowdown import SPEED_TITLES
from .stats import ratio, sample_from_row, stage_stats

BASELINES = ("flask", "fastapi")
GOODPUT_TARGET = 0.9
"""voxserve's goodput at 50 and 100 users as a share of the raw capacity, at least."""


def _stages(section: dict[str, Any], name: str) -> dict[int, dict[str, Any]]:
    target = section["targets"].get(name)
    return {s["users"]: s for s in target["stages"]} if target else {}


def _raw_audio(section: dict[str, Any]) -> float:
    """The raw engine capacity of a section in audio seconds per second (0: not measured)."""
    raw = section.get("raw") or {}
    return float(raw.get("audio_s_per_s", 0.0))


def goodput_fraction_of_raw(stage: dict[str, Any], section: dict[str, Any]) -> float | None:
    """A stage's goodput as a share of the raw capacity measured at the same speed and with
    the same workload (None without a raw measurement)."""
    return ratio(stage["goodput_audio_s_per_s"], _raw_audio(section))


def comparison(section: dict[str, Any]) -> list[dict[str, Any]]:
    """Per stage: voxserve's QPS, audio and goodput against the raw capacity and each
    baseline, and its errors."""
    raw = section.get("raw") or {}
    others = {name: _stages(section, name) for name in BASELINES}
    rows = []
    for users, stage in _stages(section, "voxserve").items():
        qps, audio = stage["qps"], stage["audio_s_per_s"]
        good = stage["goodput_audio_s_per_s"]
        errors = stage["errors"]
        rows.append(
            {
                "users": users,
                "qps": qps,
                "audio_s_per_s": audio,
                "goodput_audio_s_per_s": good,
                "fraction_of_raw": ratio(qps, raw.get("qps", 0.0)),
                "audio_fraction_of_raw": ratio(audio, raw.get("audio_s_per_s", 0.0)),
                "goodput_fraction_of_raw": ratio(good, raw.get("audio_s_per_s", 0.0)),
                "ratio_to": {
                    name: ratio(qps, stages[users]["qps"]) if users in stages else None
                    for name, stages in others.items()
                },
                "audio_ratio_to": {
                    name: ratio(audio, stages[users]["audio_s_per_s"]) if users in stages else None
                    for name, stages in others.items()
                },
                "goodput_ratio_to": {
                    name: ratio(good, stages[users]["goodput_audio_s_per_s"])
                    if users in stages
                    else None
                    for name, stages in others.items()
                },
                "goodput_at_least": {
                    name: good >= stages[users]["goodput_audio_s_per_s"]
                    if users in stages
                    else None
                    for name, stages in others.items()
                },
                "error_rate": stage["error_rate"],
                "hard_error_rate": stage["hard_error_rate"],
                "errors": errors,
                "statuses": stage["statuses"],
                "no_timeouts_no_5xx": errors["timeout"] == 0 and errors["5xx"] == 0,
            }
        )
    return rows


def overhead_summary(results: dict[str, Any]) -> dict[str, Any] | None:
    """The generator's ceiling (trivial endpoint) against what the TTS stages asked of it."""
    stages = (results.get("overhead") or {}).get("stages")
    if not stages:
        return None
    best = max(stages, key=lambda s: s["qps"])
    tts = [
        s
        for section in results["sections"]
        for t in section["targets"].values()
        for s in t["stages"]
    ]
    tts_qps = max((s["qps"] for s in tts), default=0.0)
    tts_cpu = max((s["resources"].get("generator_cpu_pct_mean", 0.0) for s in tts), default=0.0)
    per_request = best["generator_cpu_ms_per_request"]
    return {
        "max_qps": best["qps"],
        "at_users": best["users"],
        "latency_p50_s": best["latency"]["p50"],
        "latency_p99_s": best["latency"]["p99"],
        "generator_cpu_pct": best["resources"].get("generator_cpu_pct_mean", 0.0),
        "generator_cpu_ms_per_request": per_request,
        "tts_max_qps": tts_qps,
        "tts_qps_share_of_generator_max": ratio(tts_qps, best["qps"]),
        "tts_generator_cpu_pct_max": tts_cpu,
    }


def _refresh_stage(stage: dict[str, Any], deadline: float | None) -> None:
    """Fill in the figures a report written before them lacks (status codes, goodput) from the
    stage's samples."""
    if "statuses" in stage and "goodput_audio_s_per_s" in stage:
        return
    samples = [sample_from_row(row) for row in stage.get("samples", [])]
    stats = stage_stats(
        samples, stage["users"], stage["seconds"], stage.get("in_flight_at_end", 0), deadline
    )
    for key in ("statuses", "goodput_audio_s_per_s", "deadline_s", "late"):
        stage[key] = getattr(stats, key)


def sections_of(results: dict[str, Any], deadline: float | None = None) -> dict[str, Any]:
    """``results`` with its measurements as ``sections`` (a report written before there were
    sections holds one: normal speed, neutral workload), every stage with every figure."""
    results = dict(results)
    if "sections" not in results:
        section = {
            "slowdown": "none",
            "workload": "neutral",
            "title": "normal speed, neutral workload",
            "targets": results.pop("targets", {}),
        }
        if "raw" in results:
            section["raw"] = results.pop("raw")
        results["sections"] = [section]
    for section in results["sections"]:
        for target in section["targets"].values():
            for stage in target["stages"]:
                _refresh_stage(stage, deadline)
    return results


def build(meta: dict[str, Any], results: dict[str, Any]) -> dict[str, Any]:
    """The whole report: metadata, raw results, and the derived comparisons."""
    results = sections_of(results, meta.get("deadline_s", meta.get("timeout")))
    for section in results["sections"]:
        section["comparison"] = comparison(section)
    return {"meta": meta, **results, "overhead_summary": overhead_summary(results)}


def write(report: dict[str, Any], out: Path) -> list[Path]:
    """Write ``report.json``, ``summary.md`` and the plots into ``out``; returns the files."""
    from .plots import write_plots  # matplotlib is slow to import: only when writing

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()  # a rewrite must not leave plots the report no longer lists
    plots = write_plots(report, out)
    report["meta"]["plots"] = [p.name for p in plots]
    (out / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    (out / "summary.md").write_text(markdown(report))
    return [out / "report.json", out / "summary.md", *plots]


def rewrite(out: Path) -> list[Path]:
    """Recompute the comparisons, the summary and the plots of the report in ``out``."""
    report = json.loads((out / "report.json").read_text())
    results = {k: v for k, v in report.items() if k not in ("meta", "comparison")}
    results.pop("overhead_summary", None)
    for section in results.get("sections", []):
        section.pop("comparison", None)
    return write(build(report["meta"], results), out)


# -- Markdown ---------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 2, suffix: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}{suffix}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _yes(value: bool | None) -> str:
    return "n/a" if value is None else ("yes" if value else "**no**")


def statuses_md(statuses: dict[str, int]) -> str:
    """``429: 12, 503: 1, timeout: 2`` (what did not succeed; ``none`` when nothing failed)."""
    text = ", ".join(f"{k}: {v}" for k, v in statuses.items() if v)
    return text or "none"


def _comparison_md(section: dict[str, Any]) -> list[str]:
    rows = section["comparison"]
    if not rows:
        return []
    lines = [
        "### voxserve against the engine's capacity and the baselines",
        "",
        "QPS counts successful requests; audio is seconds of speech delivered per second, which "
        "weighs each request by its length (a server that answers mostly short texts has a "
        "high QPS but not more audio); goodput counts only the audio of answers that arrived "
        "whole within the deadline. Ratios are voxserve / the other.",
        "",
        "| VUs | QPS | of raw | vs Flask | vs FastAPI | audio s/s | of raw | vs Flask "
        "| vs FastAPI | goodput s/s | of raw | vs Flask | vs FastAPI | error rate "
        "| not 2xx |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        q, a, g = r["ratio_to"], r["audio_ratio_to"], r["goodput_ratio_to"]
        lines.append(
            f"| {r['users']} | {r['qps']:.2f} | {_pct(r['fraction_of_raw'])} "
            f"| {_x(q['flask'])} | {_x(q['fastapi'])} | {r['audio_s_per_s']:.1f} "
            f"| {_pct(r['audio_fraction_of_raw'])} | {_x(a['flask'])} | {_x(a['fastapi'])} "
            f"| {r['goodput_audio_s_per_s']:.1f} | {_pct(r['goodput_fraction_of_raw'])} "
            f"| {_x(g['flask'])} | {_x(g['fastapi'])} "
            f"| {_pct(r['error_rate'])} | {statuses_md(r['statuses'])} |"
        )
    return [*lines, ""]


def _ttfa_at(section: dict[str, Any], users: int) -> dict[str, float] | None:
    stage = _stages(section, "voxserve-stream").get(users)
    return stage.get("ttfa") if stage else None


def _acceptance_md(section: dict[str, Any], deadline: float | None) -> list[str]:
    """The checks of goodput scheduling, stage by stage, for one speed and workload."""
    rows = section["comparison"]
    if not rows:
        return []
    lines = [
        "### Acceptance",
        "",
        f"Goodput: audio seconds per second of answers that arrived whole within "
        f"{_num(deadline, 0)} s of their request. Target: voxserve's goodput at least each "
        "baseline's at every stage, no 5xx and no timeouts, and at 50 and 100 users at least "
        "90% of the raw engine capacity measured at the same speed.",
        "",
        "| VUs | goodput s/s | >= Flask | >= FastAPI | of raw | >= 90% of raw | 5xx "
        "| timeouts | 429 |",
        "|---:|---:|---|---|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        share, at_least = r["goodput_fraction_of_raw"], r["goodput_at_least"]
        loaded = r["users"] in (50, 100)
        meets = None if share is None or not loaded else share >= GOODPUT_TARGET
        lines.append(
            f"| {r['users']} | {r['goodput_audio_s_per_s']:.1f} | {_yes(at_least['flask'])} "
            f"| {_yes(at_least['fastapi'])} | {_pct(share)} "
            f"| {_yes(meets) if loaded else '-'} | {r['errors']['5xx']} "
            f"| {r['errors']['timeout']} | {r['errors']['429']} |"
        )
    lines.append("")
    by_users = {r["users"]: r for r in rows}
    beaten = [
        f"{r['users']} users ({name})"
        for r in rows
        for name, ok in r["goodput_at_least"].items()
        if ok is False
    ]
    measured = any(v is not None for r in rows for v in r["goodput_at_least"].values())
    five, timeouts = (sum(r["errors"][k] for r in rows) for k in ("5xx", "timeout"))
    lines.append(
        "- voxserve's goodput >= every baseline's at every stage: "
        + ("n/a (no baseline measured)" if not measured else _yes(not beaten))
        + (f" (below at {', '.join(beaten)})" if beaten else "")
    )
    lines.append(
        f"- voxserve 5xx answers: {five}, timeouts: {timeouts} over all stages "
        f"(0 of each required: {_yes(five == 0 and timeouts == 0)})"
    )
    if 10 in by_users:
        lines.append(f"- 429 answers at 10 users: {by_users[10]['errors']['429']}")
    for users in (50, 100):
        if users in by_users:
            share = by_users[users]["goodput_fraction_of_raw"]
            meets = None if share is None else share >= GOODPUT_TARGET
            lines.append(
                f"- goodput at {users} users: {_pct(share)} of the raw capacity "
                f"(>= 90%: {_yes(meets)})"
            )
    ttfa = _ttfa_at(section, 10)
    if ttfa:
        lines.append(
            f"- streaming time to first audio at 10 users: P50 {_num(ttfa.get('p50'), 3)} s, "
            f"P95 {_num(ttfa.get('p95'), 3)} s"
        )
    return [*lines, ""]


def _targets_md(section: dict[str, Any]) -> list[str]:
    lines = [
        "### Every server, stage by stage",
        "",
        "Latencies are of successful requests, in seconds. Goodput counts the audio of the "
        'answers that arrived whole within the deadline, and "of raw" divides it by the raw '
        "engine capacity at the same speed; late is the number of successes past the deadline. "
        "Not 2xx lists each status code, timeouts and connection errors. CPU is the mean over "
        "the stage of the server's whole process tree, in % of one core (200% = both cores); "
        "memory is the peak PSS (RSS) of the tree in MiB. Other CPU % is the machine's CPU "
        "used by neither the server nor the load generator (other work on the machine, and the "
        "CPU neighbours of a slowed-down run).",
        "",
        "| VUs | server | QPS | audio s/s | goodput s/s | of raw | late | P50 | P90 | P95 | P99 "
        "| error rate | not 2xx | CPU % | memory MiB | other CPU % |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    users = sorted({s["users"] for t in section["targets"].values() for s in t["stages"]})
    for u in users:
        for target in section["targets"].values():
            for s in (s for s in target["stages"] if s["users"] == u):
                lines.append(_stage_row(u, target["title"], s, section))
    return [*lines, ""]


def _stage_row(users: int, title: str, s: dict[str, Any], section: dict[str, Any]) -> str:
    lat, res = s["latency"], s["resources"]
    memory = f"{_num(res.get('pss_mib_max'), 0)} ({_num(res.get('rss_mib_max'), 0)})"
    return (
        f"| {users} | {title} | {s['qps']:.2f} | {s['audio_s_per_s']:.1f} "
        f"| {s['goodput_audio_s_per_s']:.1f} | {_pct(goodput_fraction_of_raw(s, section))} "
        f"| {s['late']} "
        f"| {_num(lat['p50'])} | {_num(lat['p90'])} | {_num(lat['p95'])} | {_num(lat['p99'])} "
        f"| {_pct(s['error_rate'])} | {statuses_md(s['statuses'])} "
        f"| {_num(res.get('cpu_pct_mean'), 0)} | {memory} "
        f"| {_num(res.get('other_cpu_pct_mean'), 0)} |"
    )


def _stream_md(section: dict[str, Any]) -> list[str]:
    target = section["targets"].get("voxserve-stream")
    if not target:
        return []
    lines = [
        "### Streaming: time to first audio (voxserve, `stream: true`, pcm)",
        "",
        "| VUs | QPS | TTFA P50 | P90 | P95 | P99 | whole P50 | whole P99 | error rate |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in target["stages"]:
        t = s["ttfa"] or {}
        lines.append(
            f"| {s['users']} | {s['qps']:.2f} | {_num(t.get('p50'), 3)} | {_num(t.get('p90'), 3)} "
            f"| {_num(t.get('p95'), 3)} | {_num(t.get('p99'), 3)} | {_num(s['latency']['p50'])} "
            f"| {_num(s['latency']['p99'])} | {_pct(s['error_rate'])} |"
        )
    return [*lines, ""]


def _neighbours_md(used: dict[str, Any] | None) -> str:
    if not used:
        return ""
    return (
        f" Beside {used['processes']} CPU-burning neighbours (nice {used['nice']}), which used "
        f"{_num(used.get('cpu_pct_mean'), 0)}% of one core on average."
    )


def _raw_md(section: dict[str, Any]) -> list[str]:
    raw = section.get("raw")
    if not raw:
        return []
    res = raw["resources"]
    runs = raw.get("runs", [])
    audio_runs = " and ".join(f"{r['audio_s_per_s']:.1f}" for r in runs)
    used = next((r["neighbours"] for r in runs if r.get("neighbours")), None)
    return [
        "### Raw engine capacity (no HTTP)",
        "",
        f"{raw['workers']} processes synthesizing the corpus in a loop for {raw['seconds']:.0f} s "
        f"(half before the servers, half after: {audio_runs} s of audio per second): "
        f"**{raw['audio_s_per_s']:.1f} s of audio per second** (the unit of goodput), "
        f"{raw['qps']:.2f} requests/s, {raw['chars_per_s']:.0f} characters per second; one "
        f"request takes {raw['latency']['p50']:.2f} s (P50) to {raw['latency']['p99']:.2f} s "
        f"(P99) alone; CPU {_num(res.get('cpu_pct_mean'), 0)}%, memory "
        f"{_num(res.get('pss_mib_max'), 0)} MiB PSS.{_neighbours_md(used)}",
        "",
    ]


def _side_by_side_md(report: dict[str, Any]) -> list[str]:
    """Goodput of every server at every stage, one column pair per section (speeds and
    workloads side by side); only for a run of several sections."""
    sections = report["sections"]
    if len(sections) < 2:
        return []
    head = " | ".join(f"{s['title']} | of raw" for s in sections)
    lines = [
        "## Side by side: goodput (audio s/s within the deadline)",
        "",
        "Each section's share is of the raw capacity measured in that section (same speed, "
        "same workload).",
        "",
        f"| VUs | server | {head} |",
        "|---:|---|" + "---:|---:|" * len(sections),
    ]
    raw_cells = " | ".join(
        f"{_num(_raw_audio(s) or None, 1)} | {'100.0%' if _raw_audio(s) else 'n/a'}"
        for s in sections
    )
    lines.append(f"| - | raw engine capacity | {raw_cells} |")
    titles = {n: t["title"] for s in sections for n, t in s["targets"].items()}
    users = sorted(
        {st["users"] for s in sections for t in s["targets"].values() for st in t["stages"]}
    )
    for u in users:
        for name, title in titles.items():
            cells = []
            for s in sections:
                stage = _stages(s, name).get(u)
                if stage is None:
                    cells.append("n/a | n/a")
                else:
                    share = goodput_fraction_of_raw(stage, s)
                    cells.append(f"{stage['goodput_audio_s_per_s']:.1f} | {_pct(share)}")
            lines.append(f"| {u} | {title} | {' | '.join(cells)} |")
    lines.append("")
    speeds = {(s["workload"], s["slowdown"]): _raw_audio(s) for s in sections}
    for (workload, slowdown), audio in speeds.items():
        normal = speeds.get((workload, "none"))
        if slowdown != "none" and audio and normal:
            lines.append(
                f"Raw capacity, {workload} workload: {SPEED_TITLES.get(slowdown, slowdown)} "
                f"{audio:.1f} against normal speed {normal:.1f} audio s/s "
                f"({_x(audio / normal)})."
            )
    return [*lines, ""]


def _overhead_md(report: dict[str, Any]) -> list[str]:
    o = report.get("overhead_summary")
    if not o:
        return []
    lines = [
        "## Load generator overhead",
        "",
        "The generator against a trivial endpoint (2-byte answers, raw asyncio server; never "
        "slowed down):",
        "",
        "| VUs | req/s | P50 ms | P99 ms | generator CPU % | generator CPU ms/request |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report["overhead"]["stages"]:
        lat = s["latency"]
        lines.append(
            f"| {s['users']} | {s['qps']:.0f} | {_num(lat['p50'] * 1000, 1)} "
            f"| {_num(lat['p99'] * 1000, 1)} "
            f"| {_num(s['resources'].get('generator_cpu_pct_mean'), 0)} "
            f"| {s['generator_cpu_ms_per_request']:.3f} |"
        )
    lines += [
        "",
        f"Its ceiling here is **{o['max_qps']:.0f} requests/s**; the busiest TTS stage reached "
        f"{o['tts_max_qps']:.2f} requests/s ({_pct(o['tts_qps_share_of_generator_max'])} of that), "
        f"and the generator's CPU during any TTS stage averaged at most "
        f"{o['tts_generator_cpu_pct_max']:.0f}% of one core.",
        "",
    ]
    return lines


def _meta_md(meta: dict[str, Any]) -> list[str]:
    m = meta["machine"]
    before, after = meta["loadavg_before"], meta["loadavg_after"]
    lines = [
        f"# Load benchmark, {meta['started']} ({meta['profile']} profile)",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']:.0f} GiB, "
        f"Python {m['python']}",
        f"- Command: `{meta['command']}`",
        f"- {meta['workers']} synthesis processes per server; engine `{meta['engines']}`, "
        f"{meta['engine_threads']} thread; stages of {meta['stage_seconds']:.0f} s; client "
        f"timeout {meta['timeout']:.0f} s (the deadline of goodput); corpus of "
        f"{meta['corpus']['texts']} texts, {meta['corpus']['mean_chars']:.0f} characters on "
        "average",
        f"- voxserve settings: {', '.join(f'{k}={v}' for k, v in meta['voxserve_env'].items())}",
    ]
    if meta.get("workloads"):
        lines.append(
            f"- Workloads: {', '.join(meta['workloads'])} (emotional: every second request with "
            "an emotion, cycling through happy, sad, angry, fear, surprise, disgust at "
            "intensity 1; the others neutral)"
        )
    for slowdown, how in (meta.get("slowdown_methods") or {}).items():
        lines.append(f"- {SPEED_TITLES.get(slowdown, slowdown).capitalize()}: {how}")
    probe = meta.get("cgroup_v2")
    if probe:
        writable = "writable" if probe["cpu_max_writable"] else "not writable"
        lines.append(
            f"- cgroup v2 `cpu.max` (a CPU quota, not used): {writable}: {probe['detail']}"
        )
    lines += [
        f"- Load average before / after: {before} / {after}",
        f"- Wall time: {meta['wall_s']:.0f} s",
        "",
    ]
    return lines


def _section_md(section: dict[str, Any], deadline: float | None) -> list[str]:
    return [
        f"## {section['title'].capitalize()}",
        "",
        *_comparison_md(section),
        *_acceptance_md(section, deadline),
        *_targets_md(section),
        *_stream_md(section),
        *_raw_md(section),
    ]


def markdown(report: dict[str, Any]) -> str:
    """The Markdown summary of ``report``."""
    meta = report["meta"]
    plots = meta.get("plots", [])
    deadline = meta.get("deadline_s", meta.get("timeout"))
    lines = [*_meta_md(meta), *_side_by_side_md(report)]
    for section in report["sections"]:
        lines += _section_md(section, deadline)
    lines += _overhead_md(report)
    if plots:
        lines += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    return "\n".join(lines)
