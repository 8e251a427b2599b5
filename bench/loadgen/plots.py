"""PNG plots of a report: QPS and latency percentiles against virtual users, the latency
distribution at 50 users, and CPU and memory of each server over time, for each section of the
run (speed and workload); goodput against virtual users for all sections side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

DISTRIBUTION_USERS = 50
DPI = 110


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _titled(report: dict[str, Any], title: str) -> str:
    """``title``, with the section's name in a run of several sections."""
    label = report.get("label")
    return f"{title} ({label})" if label else title


def _series(target: dict[str, Any], key: str) -> tuple[list[int], list[float]]:
    stages = target["stages"]
    return [s["users"] for s in stages], [s[key] for s in stages]


def qps_plot(report: dict[str, Any], path: Path) -> Path:
    """Successful requests per second against virtual users, with the raw capacity."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for target in report["targets"].values():
        users, qps = _series(target, "qps")
        ax.plot(users, qps, marker="o", label=target["title"])
    raw = report.get("raw")
    if raw:
        ax.axhline(raw["qps"], color="black", linestyle="--", label="raw engine capacity")
    ax.set(
        xlabel="virtual users",
        ylabel="successful requests / s",
        title=_titled(report, "Throughput"),
    )
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def latency_plot(report: dict[str, Any], path: Path) -> Path:
    """P50/P90/P95/P99 of successful requests against virtual users, one panel each."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), sharex=True)
    timeout = report["meta"]["timeout"]
    targets = list(report["targets"].values())
    highest = max((s["latency"]["p99"] for t in targets for s in t["stages"]), default=0.0)
    for ax, q in zip(axes.flat, ("p50", "p90", "p95", "p99"), strict=True):
        for target in targets:
            users = [s["users"] for s in target["stages"]]
            values = [s["latency"][q] for s in target["stages"]]
            ax.plot(users, values, marker="o", label=target["title"])
        if highest > timeout / 2:  # the timeout line only where it does not flatten the rest
            ax.axhline(timeout, color="red", linestyle=":", linewidth=1, label="client timeout")
        ax.set(title=q.upper(), xlabel="virtual users", ylabel="seconds")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize="small")
    fig.suptitle(_titled(report, "Latency of successful requests"))
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def distribution_plot(report: dict[str, Any], path: Path) -> Path:
    """Histogram of successful latencies at 50 users (or the nearest stage), per server."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    timeout = report["meta"]["timeout"]
    bins = [timeout * i / 50 for i in range(51)]
    for target in report["targets"].values():
        stage = _nearest_stage(target, DISTRIBUTION_USERS)
        if stage is None:
            continue
        latencies = [row[1] - row[0] for row in stage["samples"] if row[2] == "ok"]
        failed = sum(stage["errors"].values())
        label = f"{target['title']} ({len(latencies)} ok, {failed} failed)"
        ax.hist(latencies, bins=bins, histtype="step", linewidth=1.5, label=label)
    ax.axvline(timeout, color="red", linestyle=":", label="client timeout")
    ax.set(
        xlabel="latency (s)",
        ylabel="requests",
        title=_titled(report, "Latency distribution at 50 users"),
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return _save(fig, path)


def _nearest_stage(target: dict[str, Any], users: int) -> dict[str, Any] | None:
    stages = target["stages"]
    return min(stages, key=lambda s: abs(s["users"] - users)) if stages else None


def _timeline(ax: Axes, report: dict[str, Any], key: str) -> None:
    """Each server's stages laid end to end on one time axis (each on a fresh server)."""
    span = report["meta"]["stage_seconds"] * 1.1
    for target in report["targets"].values():
        xs: list[float] = []
        ys: list[float] = []
        for i, stage in enumerate(target["stages"]):
            rows = [r for r in stage["series"] if 0 <= r["t"] <= span]
            xs += [i * span + r["t"] for r in rows] + [float("nan")]
            ys += [r[key] for r in rows] + [float("nan")]
        ax.plot(xs, ys, linewidth=1, label=target["title"])
    stages: list[dict[str, Any]] = max(
        (t["stages"] for t in report["targets"].values()), key=len, default=[]
    )
    for i, stage in enumerate(stages):
        ax.axvline(i * span, color="grey", linewidth=0.5)
        ax.text(i * span + 0.5, 0.92, f"{stage['users']} VUs", transform=ax.get_xaxis_transform())


def resources_plot(report: dict[str, Any], path: Path) -> Path:
    """CPU (% of one core) and PSS memory of each server's process tree, stage after stage."""
    fig, (cpu, mem) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    _timeline(cpu, report, "cpu_pct")
    _timeline(mem, report, "pss_mib")
    raw = report.get("raw")
    if raw:
        mean = raw["resources"].get("cpu_pct_mean", 0)
        cpu.axhline(mean, color="black", linestyle="--", label="raw engine loop (mean)")
    cpu.set(ylabel="CPU % of one core", title=_titled(report, "Server process tree over time"))
    mem.set(ylabel="PSS MiB", xlabel="seconds (stages end to end, each on a fresh server)")
    for ax in (cpu, mem):
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    cpu.legend(fontsize="small", loc="lower right")
    return _save(fig, path)


def goodput_plot(report: dict[str, Any], path: Path) -> Path:
    """Goodput (audio seconds per second within the deadline) against virtual users, one panel
    per section, with each section's raw capacity."""
    sections = [s for s in report["sections"] if s["targets"]]
    fig, axes = plt.subplots(
        1, len(sections), figsize=(6 * len(sections), 4.5), sharey=True, squeeze=False
    )
    for ax, section in zip(axes[0], sections, strict=True):
        for target in section["targets"].values():
            users, good = _series(target, "goodput_audio_s_per_s")
            ax.plot(users, good, marker="o", label=target["title"])
        raw = section.get("raw")
        if raw:
            ax.axhline(
                raw["audio_s_per_s"], color="black", linestyle="--", label="raw engine capacity"
            )
        ax.set(xlabel="virtual users", title=section.get("title", ""))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("audio s / s within the deadline")
    axes[0][0].legend(fontsize="small")
    fig.suptitle("Goodput")
    return _save(fig, path)


def write_plots(report: dict[str, Any], out: Path) -> list[Path]:
    """Every plot the report has data for, as PNG files in ``out``: those of each section
    (named after its speed and workload when there are several), then goodput."""
    sections = [s for s in report["sections"] if s["targets"]]
    several = len(report["sections"]) > 1
    paths: list[Path] = []
    for section in sections:
        view = {**section, "meta": report["meta"], "label": section["title"] if several else ""}
        suffix = f"-{section['slowdown']}-{section['workload']}" if several else ""
        paths += [
            qps_plot(view, out / f"qps_vs_users{suffix}.png"),
            latency_plot(view, out / f"latency_vs_users{suffix}.png"),
            distribution_plot(view, out / f"latency_distribution_50{suffix}.png"),
            resources_plot(view, out / f"cpu_memory_over_time{suffix}.png"),
        ]
    if sections:
        paths.append(goodput_plot(report, out / "goodput_vs_users.png"))
    return paths
