"""Statistics of a load stage: percentiles, rates, error kinds, resource use.

Pure functions over plain data, so that every figure in a report can be recomputed from the
samples in its JSON and is covered by unit tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

PERCENTILES: tuple[float, ...] = (50.0, 90.0, 95.0, 99.0)
"""The latency percentiles every report shows (the study's P50/P90/P95/P99)."""

OK = "ok"
ERROR_KINDS: tuple[str, ...] = ("429", "4xx", "5xx", "timeout", "connection")
"""How a failed request is counted: refused for overload (429), any other client error,
any server error, no complete answer within the client timeout, or a broken connection."""

HARD_ERROR_KINDS = frozenset({"5xx", "timeout", "connection"})
"""Failures a server must not produce under overload (429 with Retry-After is a polite no)."""

TIMEOUT = "timeout"
CONNECTION_ERROR = "error"
"""Keys of :func:`status_counts` for a request that got no answer: no complete answer within
the client timeout, or a broken connection."""


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) with linear interpolation between closest ranks.

    The same definition as ``numpy.percentile(values, q)`` (method "linear"); NaN when
    ``values`` is empty.
    """
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def rate(count: float, seconds: float) -> float:
    """Events per second; 0 for an empty or zero-length window."""
    return count / seconds if seconds > 0 else 0.0


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or None where the denominator is 0 (no meaningful ratio)."""
    return numerator / denominator if denominator > 0 else None


def classify(status: int | None, timed_out: bool = False) -> str:
    """The kind of a finished request: ``ok`` for 2xx, else one of :data:`ERROR_KINDS`.

    ``status`` is None when no response arrived (a timeout or a broken connection).
    """
    if timed_out:
        return "timeout"
    if status is None:
        return "connection"
    if 200 <= status < 300:
        return OK
    if status == 429:
        return "429"
    if 400 <= status < 500:
        return "4xx"
    if status >= 500:
        return "5xx"
    return "connection"  # 1xx/3xx as a final answer: the client could not use it


@dataclass(frozen=True)
class Sample:
    """One finished request, times in seconds from the stage start."""

    start: float
    end: float
    kind: str
    status: int | None = None
    ttfa: float | None = None
    """Time to the first audio bytes (streaming requests only)."""
    audio_s: float = 0.0
    chars: int = 0
    retry_after: float | None = None

    @property
    def latency(self) -> float:
        return self.end - self.start


def status_counts(samples: Iterable[Sample]) -> dict[str, int]:
    """How the requests that did not succeed ended: every non-2xx status code seen (as a
    string, ``"429"``, ``"503"``...), plus ``"timeout"`` and ``"error"`` (no answer: a client
    timeout, a broken connection), which are always present."""
    counts: dict[str, int] = {}
    timeouts = errors = 0
    for s in samples:
        if s.kind == "timeout":
            timeouts += 1
        elif s.status is None:
            errors += 1
        elif not 200 <= s.status < 300:
            key = str(s.status)
            counts[key] = counts.get(key, 0) + 1
    return {**dict(sorted(counts.items())), TIMEOUT: timeouts, CONNECTION_ERROR: errors}


def in_time(sample: Sample, deadline: float | None) -> bool:
    """A successful request whose whole answer arrived within ``deadline`` seconds of being
    sent (any success when there is no deadline)."""
    return sample.kind == OK and (deadline is None or sample.latency <= deadline)


def goodput(samples: Iterable[Sample], seconds: float, deadline: float | None) -> float:
    """Audio seconds delivered within the deadline per second of ``seconds``: each 2xx answer
    whose whole audio arrived within ``deadline`` of its request counts its audio, anything
    else (errors, answers that came too late) counts zero."""
    return rate(sum(s.audio_s for s in samples if in_time(s, deadline)), seconds)


def latency_summary(latencies: Sequence[float]) -> dict[str, float]:
    """Count, mean, max and the :data:`PERCENTILES` of ``latencies`` (seconds)."""
    summary: dict[str, float] = {f"p{q:g}": percentile(latencies, q) for q in PERCENTILES}
    summary["mean"] = sum(latencies) / len(latencies) if latencies else math.nan
    summary["max"] = max(latencies) if latencies else math.nan
    summary["count"] = float(len(latencies))
    return summary


@dataclass
class StageStats:
    """Every figure of one stage, computed over the requests that finished inside its window."""

    users: int
    seconds: float
    requests: int
    ok: int
    qps: float
    audio_s_per_s: float
    goodput_audio_s_per_s: float
    """Audio seconds per second of the answers that arrived whole within ``deadline_s``."""
    deadline_s: float | None
    late: int
    """Successful answers that arrived after ``deadline_s`` (their audio is not goodput)."""
    chars_per_s: float
    latency: dict[str, float]
    ttfa: dict[str, float] | None
    errors: dict[str, int]
    statuses: dict[str, int]
    """:func:`status_counts` of the stage: each non-2xx status code, timeouts, errors."""
    error_rate: float
    hard_error_rate: float
    in_flight_at_end: int
    resources: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def stage_stats(
    samples: Iterable[Sample],
    users: int,
    seconds: float,
    in_flight_at_end: int = 0,
    deadline: float | None = None,
) -> StageStats:
    """Summarize the samples of a stage window of ``seconds`` seconds.

    Only requests that finished inside the window count: the rates are completions per second
    (as a load tester's requests-per-second), latencies are those of successful requests, and
    the error rate is failed / finished requests. Requests still running when the window
    closed are reported as ``in_flight_at_end`` and otherwise ignored. Goodput counts the
    audio of the successes that arrived within ``deadline`` seconds (see :func:`goodput`).
    """
    inside = [s for s in samples if 0.0 <= s.end <= seconds]
    good = [s for s in inside if s.kind == OK]
    errors = {kind: sum(1 for s in inside if s.kind == kind) for kind in ERROR_KINDS}
    failed = sum(errors.values())
    hard = sum(errors[k] for k in HARD_ERROR_KINDS)
    streamed = [s.ttfa for s in good if s.ttfa is not None]
    return StageStats(
        users=users,
        seconds=seconds,
        requests=len(inside),
        ok=len(good),
        qps=rate(len(good), seconds),
        audio_s_per_s=rate(sum(s.audio_s for s in good), seconds),
        goodput_audio_s_per_s=goodput(good, seconds, deadline),
        deadline_s=deadline,
        late=sum(1 for s in good if not in_time(s, deadline)),
        chars_per_s=rate(sum(s.chars for s in good), seconds),
        latency=latency_summary([s.latency for s in good]),
        ttfa=latency_summary(streamed) if streamed else None,
        errors=errors,
        statuses=status_counts(inside),
        error_rate=failed / len(inside) if inside else 0.0,
        hard_error_rate=hard / len(inside) if inside else 0.0,
        in_flight_at_end=in_flight_at_end,
    )


def _with_other(row: dict[str, float]) -> dict[str, float]:
    """The row plus ``other_cpu_pct``: the machine's CPU use by neither server nor generator
    (other work on a shared machine, which the figures of the stage then suffer from)."""
    if "system_cpu_pct" not in row:
        return row
    other = row["system_cpu_pct"] - row.get("cpu_pct", 0.0) - row.get("generator_cpu_pct", 0.0)
    return {**row, "other_cpu_pct": max(0.0, other)}


def resource_summary(
    series: Sequence[dict[str, float]], start: float, end: float
) -> dict[str, float]:
    """Mean and peak CPU (% of one core) and peak RSS/PSS (MiB) of samples within [start, end].

    ``series`` holds the sampler's rows (see ``procstat.ResourceSampler``); CPU figures are
    given for the server tree, the generator, the whole machine and everything else.
    """
    rows = [_with_other(r) for r in series if start <= r["t"] <= end]
    if not rows:
        return {}
    out: dict[str, float] = {}
    for key in ("cpu_pct", "generator_cpu_pct", "system_cpu_pct", "other_cpu_pct"):
        values = [r[key] for r in rows if key in r]
        if values:
            out[f"{key}_mean"] = sum(values) / len(values)
            out[f"{key}_max"] = max(values)
    for key in ("rss_mib", "pss_mib"):
        values = [r[key] for r in rows if key in r]
        if values:
            out[f"{key}_max"] = max(values)
    return out


def sample_from_row(row: Sequence[Any]) -> Sample:
    """A sample back from its compact JSON row (``[start, end, kind, status, ttfa, audio_s,
    chars]``, see ``runner._compact``)."""
    start, end, kind, status, ttfa, audio_s, chars = row[:7]
    return Sample(start, end, kind, status, ttfa, audio_s, chars)
