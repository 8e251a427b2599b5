"""Prometheus metrics of one service instance (own registry: no process-global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    """Every metric voxserve exports, registered on a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "voxserve_http_requests",
            "HTTP requests by route and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "voxserve_http_request_seconds",
            "HTTP request latency",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge("voxserve_queue_units", "Units waiting for a worker", registry=r)
        self.queued_requests = Gauge(
            "voxserve_queue_requests", "Admitted requests not finished", registry=r
        )
        self.background_requests = Gauge(
            "voxserve_queue_background_requests",
            "Background (job) plans being rendered",
            registry=r,
        )
        self.units = Counter(
            "voxserve_units",
            "Units of admitted requests, by where their audio came from",
            ["source"],
            registry=r,
        )
        self.workers = Gauge("voxserve_workers", "Worker processes ready", registry=r)
        self.busy_workers = Gauge("voxserve_workers_busy", "Workers rendering a unit", registry=r)
        self.worker_restarts = Counter(
            "voxserve_worker_restarts", "Workers replaced after dying", registry=r
        )
        self.synthesis_seconds = Counter(
            "voxserve_synthesis_seconds", "Wall seconds workers spent rendering", registry=r
        )
        self.audio_seconds = Counter(
            "voxserve_audio_seconds", "Seconds of audio produced", registry=r
        )
        self.rtf = Histogram(
            "voxserve_unit_rtf",
            "Real-time factor of rendered units",
            buckets=(0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2),
            registry=r,
        )
        self.rejections = Counter(
            "voxserve_admission_rejections", "Requests refused at admission", ["reason"], registry=r
        )
        self.dropped_units = Counter(
            "voxserve_units_dropped", "Queued units dropped unrendered", ["reason"], registry=r
        )
        self.first_byte = Histogram(
            "voxserve_first_audio_seconds",
            "Time from admission to the first audio byte of a stream",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.active_streams = Gauge(
            "voxserve_active_streams", "Streaming responses in progress", registry=r
        )
        self.stream_errors = Counter(
            "voxserve_stream_errors", "Streams ended early by an error", ["code"], registry=r
        )
        self.websocket_sessions = Gauge(
            "voxserve_websocket_sessions", "Open WebSocket sessions", registry=r
        )
        self.websocket_total = Counter(
            "voxserve_websocket_sessions_opened", "WebSocket sessions opened", registry=r
        )
        self.wyoming_connections = Gauge(
            "voxserve_wyoming_connections", "Open Wyoming connections", registry=r
        )
        self.wyoming_requests = Counter(
            "voxserve_wyoming_requests",
            "Wyoming synthesis requests (whole or streamed text), by outcome",
            ["kind", "outcome"],
            registry=r,
        )
        self.early_parts = Counter(
            "voxserve_early_parts",
            "Parts of a unit's samples handed to a stream before the unit was done",
            registry=r,
        )
        self.promoted_streams = Counter(
            "voxserve_promoted_streams",
            "Streams admitted to wait their turn whose first unit later went ahead",
            registry=r,
        )
        self.deadline_misses = Counter(
            "voxserve_deadline_misses",
            "Admitted requests that ran past their deadline (the admission estimate erred)",
            registry=r,
        )
        self.unit_cost = Gauge(
            "voxserve_unit_cost_seconds_per_char",
            "Learned wall seconds per character of one worker, by engine and prosody path",
            ["engine", "path"],
            registry=r,
        )
        self.retried_units = Counter(
            "voxserve_units_retried", "Units retried after a worker died", registry=r
        )
        # cache
        self.cache_hits = Counter(
            "voxserve_cache_hits",
            "Cache lookups answered without synthesis, by layer (memory, disk, shared)",
            ["layer"],
            registry=r,
        )
        self.cache_misses = Counter(
            "voxserve_cache_misses", "Cache lookups that had to synthesize", registry=r
        )
        self.cache_bytes_served = Counter(
            "voxserve_cache_bytes_served", "Bytes answered from the cache", registry=r
        )
        self.cache_bytes_stored = Counter(
            "voxserve_cache_bytes_stored", "Bytes of results handed to the cache", registry=r
        )
        self.cache_corrupt = Counter(
            "voxserve_cache_corrupt", "Damaged cache entries deleted unserved", registry=r
        )
        self.cache_size_bytes = Gauge(
            "voxserve_cache_size_bytes", "Bytes held by the cache, by layer", ["layer"], registry=r
        )
