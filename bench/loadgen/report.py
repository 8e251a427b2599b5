"""The report of a run: ``report.json`` (every figure and sample), ``summary.md``, the plots.

The Markdown summary follows the study's layout: one row per stage (virtual users) and server,
with QPS, latency percentiles, error rate, CPU and memory; above it, voxserve's QPS as a
fraction of the raw engine capacity and as a ratio to each baseline, stage by stage.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .stats import ratio

BASELINES = ("flask", "fastapi")


def _stages(results: dict[str, Any], name: str) -> dict[int, dict[str, Any]]:
    target = results["targets"].get(name)
    return {s["users"]: s for s in target["stages"]} if target else {}


def comparison(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per stage: voxserve's QPS against the raw capacity and each baseline, and its errors."""
    raw = results.get("raw", {})
    others = {name: _stages(results, name) for name in BASELINES}
    rows = []
    for users, stage in _stages(results, "voxserve").items():
        qps, audio = stage["qps"], stage["audio_s_per_s"]
        errors = stage["errors"]
        rows.append(
            {
                "users": users,
                "qps": qps,
                "audio_s_per_s": audio,
                "fraction_of_raw": ratio(qps, raw.get("qps", 0.0)),
                "audio_fraction_of_raw": ratio(audio, raw.get("audio_s_per_s", 0.0)),
                "ratio_to": {
                    name: ratio(qps, stages[users]["qps"]) if users in stages else None
                    for name, stages in others.items()
                },
                "audio_ratio_to": {
                    name: ratio(audio, stages[users]["audio_s_per_s"]) if users in stages else None
                    for name, stages in others.items()
                },
                "error_rate": stage["error_rate"],
                "hard_error_rate": stage["hard_error_rate"],
                "errors": errors,
                "no_timeouts_no_5xx": errors["timeout"] == 0 and errors["5xx"] == 0,
            }
        )
    return rows


def overhead_summary(results: dict[str, Any]) -> dict[str, Any] | None:
    """The generator's ceiling (trivial endpoint) against what the TTS stages asked of it."""
    stages = results.get("overhead", {}).get("stages")
    if not stages:
        return None
    best = max(stages, key=lambda s: s["qps"])
    tts = [s for t in results["targets"].values() for s in t["stages"]]
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


def build(meta: dict[str, Any], results: dict[str, Any]) -> dict[str, Any]:
    """The whole report: metadata, raw results, and the derived comparisons."""
    return {
        "meta": meta,
        **results,
        "comparison": comparison(results),
        "overhead_summary": overhead_summary(results),
    }


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


def _comparison_md(report: dict[str, Any]) -> list[str]:
    rows = report["comparison"]
    if not rows:
        return []
    lines = [
        "## voxserve against the engine's capacity and the baselines",
        "",
        "QPS counts successful requests; audio is seconds of speech delivered per second, which "
        "weighs each request by its length (a server that answers mostly short texts has a "
        "high QPS but not more audio). Ratios are voxserve / the other.",
        "",
        "| VUs | voxserve QPS | of raw | vs Flask | vs FastAPI | audio s/s | of raw "
        "| vs Flask | vs FastAPI | error rate | 429 | timeouts | 5xx | other errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        e, q, a = r["errors"], r["ratio_to"], r["audio_ratio_to"]
        lines.append(
            f"| {r['users']} | {r['qps']:.2f} | {_pct(r['fraction_of_raw'])} "
            f"| {_x(q['flask'])} | {_x(q['fastapi'])} | {r['audio_s_per_s']:.1f} "
            f"| {_pct(r['audio_fraction_of_raw'])} | {_x(a['flask'])} | {_x(a['fastapi'])} "
            f"| {_pct(r['error_rate'])} | {e['429']} | {e['timeout']} | {e['5xx']} "
            f"| {e['4xx'] + e['connection']} |"
        )
    return [*lines, ""]


def _targets_md(report: dict[str, Any]) -> list[str]:
    lines = [
        "## Every server, stage by stage",
        "",
        "Latencies are of successful requests, in seconds. CPU is the mean over the stage of the "
        "server's whole process tree, in % of one core (200% = both cores); memory is the peak "
        "PSS (RSS) of the tree in MiB. Other CPU % is the machine's CPU used by neither the "
        "server nor the load generator (other work on the machine, if any).",
        "",
        "| VUs | server | QPS | audio s/s | P50 | P90 | P95 | P99 | error rate "
        "| 429 / 4xx / 5xx / timeout / conn | CPU % | memory MiB | other CPU % |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    users = sorted({s["users"] for t in report["targets"].values() for s in t["stages"]})
    for u in users:
        for target in report["targets"].values():
            for s in (s for s in target["stages"] if s["users"] == u):
                lines.append(_stage_row(u, target["title"], s))
    return [*lines, ""]


def _stage_row(users: int, title: str, s: dict[str, Any]) -> str:
    lat, e, res = s["latency"], s["errors"], s["resources"]
    kinds = " / ".join(str(e[k]) for k in ("429", "4xx", "5xx", "timeout", "connection"))
    memory = f"{_num(res.get('pss_mib_max'), 0)} ({_num(res.get('rss_mib_max'), 0)})"
    return (
        f"| {users} | {title} | {s['qps']:.2f} | {s['audio_s_per_s']:.1f} "
        f"| {_num(lat['p50'])} | {_num(lat['p90'])} | {_num(lat['p95'])} | {_num(lat['p99'])} "
        f"| {_pct(s['error_rate'])} | {kinds} | {_num(res.get('cpu_pct_mean'), 0)} | {memory} "
        f"| {_num(res.get('other_cpu_pct_mean'), 0)} |"
    )


def _stream_md(report: dict[str, Any]) -> list[str]:
    target = report["targets"].get("voxserve-stream")
    if not target:
        return []
    lines = [
        "## Streaming: time to first audio (voxserve, `stream: true`, pcm)",
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


def _raw_md(report: dict[str, Any]) -> list[str]:
    raw = report.get("raw")
    if not raw:
        return []
    res = raw["resources"]
    runs = " and ".join(f"{r['qps']:.2f}" for r in raw.get("runs", []))
    return [
        "## Raw engine capacity (no HTTP)",
        "",
        f"{raw['workers']} processes synthesizing the corpus in a loop for {raw['seconds']:.0f} s "
        f"(half before the servers, half after: {runs} requests/s): "
        f"**{raw['qps']:.2f} requests/s**, {raw['audio_s_per_s']:.1f} s of audio per second, "
        f"{raw['chars_per_s']:.0f} characters per second; one request takes "
        f"{raw['latency']['p50']:.2f} s (P50) to {raw['latency']['p99']:.2f} s (P99) alone; "
        f"CPU {_num(res.get('cpu_pct_mean'), 0)}%, memory {_num(res.get('pss_mib_max'), 0)} MiB "
        "PSS.",
        "",
    ]


def _overhead_md(report: dict[str, Any]) -> list[str]:
    o = report.get("overhead_summary")
    if not o:
        return []
    lines = [
        "## Load generator overhead",
        "",
        "The generator against a trivial endpoint (2-byte answers, raw asyncio server):",
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
    return [
        f"# Load benchmark, {meta['started']} ({meta['profile']} profile)",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']:.0f} GiB, "
        f"Python {m['python']}",
        f"- Command: `{meta['command']}`",
        f"- {meta['workers']} synthesis processes per server; engine `{meta['engines']}`, "
        f"{meta['engine_threads']} thread; stages of {meta['stage_seconds']:.0f} s; client "
        f"timeout {meta['timeout']:.0f} s; corpus of {meta['corpus']['texts']} texts, "
        f"{meta['corpus']['mean_chars']:.0f} characters on average",
        f"- voxserve settings: {', '.join(f'{k}={v}' for k, v in meta['voxserve_env'].items())}",
        f"- Load average before / after: {before} / {after}",
        f"- Wall time: {meta['wall_s']:.0f} s",
        "",
    ]


def _acceptance_md(report: dict[str, Any]) -> list[str]:
    rows = [r for r in report["comparison"] if r["users"] == 100]
    if not rows:
        return []
    r = rows[0]
    verdict = "yes" if r["no_timeouts_no_5xx"] else "**no**"
    return [
        f"At 100 virtual users voxserve had {r['errors']['timeout']} timeouts and "
        f"{r['errors']['5xx']} 5xx answers (0 of each required: {verdict}); it refused "
        f"{r['errors']['429']} requests with 429 + Retry-After.",
        "",
    ]


def markdown(report: dict[str, Any]) -> str:
    """The Markdown summary of ``report``."""
    plots = report["meta"].get("plots", [])
    lines = [
        *_meta_md(report["meta"]),
        *_comparison_md(report),
        *_acceptance_md(report),
        *_targets_md(report),
        *_stream_md(report),
        *_raw_md(report),
        *_overhead_md(report),
    ]
    if plots:
        lines += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    return "\n".join(lines)
