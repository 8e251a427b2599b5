"""Settings: one frozen object, read once from ``VOXSERVE_*`` variables and passed down."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_model_dir() -> Path:
    return Path.home() / ".cache" / "voxserve" / "models"


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "voxserve"


class Settings(BaseSettings):
    """Every tunable of voxserve. Build it once (``Settings()``) and pass it down; never mutate."""

    model_config = SettingsConfigDict(env_prefix="VOXSERVE_", frozen=True, extra="ignore")

    model_dir: Path = Field(default_factory=_default_model_dir)
    """Where built model assets live (``voxserve models build`` writes here)."""

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Where the service keeps its state: jobs (SQLite + audio), the disk cache, API keys."""

    default_voice: str = "zh-baker"
    """Voice used when a request names none."""

    default_voices: dict[str, str] = {"zh": "zh-baker", "en": "en-joe"}
    """Voice for a language run the requested voice cannot speak (English words in Chinese)."""

    engines: str = "auto"
    """Comma-separated engine names to load, or ``auto``: every engine whose assets exist."""

    engine_threads: int = Field(default=1, ge=1, le=64)
    """Intra-op threads per engine instance (one engine instance per worker process)."""

    max_text_chars: int = Field(default=5000, ge=1)
    """Longest text accepted for one synchronous request or CLI call."""

    max_unit_chars: int = Field(default=80, ge=8, le=400)
    """Longest text unit handed to an engine; longer sentences are split at clauses, then words."""

    stream_first_unit_chars: int = Field(default=16, ge=0, le=400)
    """A streamed request's first sentence longer than this is cut after its first clause, so
    the first audio comes sooner (0: never)."""

    # -- service ---------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256)
    """Worker processes; each loads every selected engine once and renders one unit at a time."""

    worker_nice: int = Field(default=5, ge=0, le=19)
    """Niceness added to worker processes, so that the event loop (health checks, admission,
    streaming) is scheduled first when synthesis saturates every core."""

    worker_start_timeout_s: float = Field(default=120.0, gt=0)
    request_timeout_s: float = Field(default=120.0, gt=0)
    """Deadline of one synchronous request, from admission to its last unit (504 after it)."""

    max_queue_wait_s: float = Field(default=15.0, gt=0)
    """Refuse (429) a stream whose first sentence would wait longer than this for a worker."""

    max_queued_requests: int = Field(default=512, ge=1)
    initial_seconds_per_char: float = Field(default=0.01, gt=0)
    """Starting guess of wall seconds per character per worker; measured values replace it."""

    malloc_mmap_threshold: int = Field(default=128 * 1024, ge=0, le=32 * 1024 * 1024)
    """glibc only, the server process only: buffers of this many bytes or more get their own
    mapping, returned to the system when freed (0: glibc's sliding threshold). Workers keep the
    sliding threshold. See ``voxserve.allocator``."""

    malloc_arena_max: int = Field(default=2, ge=0, le=1024)
    """glibc only: most malloc arenas per process (0: glibc's default of 8 per core)."""

    drain_timeout_s: float = Field(default=10.0, ge=0)
    """On shutdown, how long admitted requests may take to finish."""

    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    """Largest request body accepted (413 above it)."""

    upload_timeout_s: float = Field(default=30.0, gt=0)
    """A request body still arriving after this long is refused (408)."""

    # -- cache -----------------------------------------------------------------------------
    cache_backend: str = "auto"
    """Sentence audio cache: ``memory+disk``, ``memory+redis``, ``memory``, ``off``, or ``auto``
    (memory+redis when ``redis_url`` is set, else memory+disk)."""

    cache_memory_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    """Byte budget of the in-memory LRU that sits in front of the cache store."""

    cache_disk_bytes: int = Field(default=1024 * 1024 * 1024, ge=0)
    """Size cap of the disk cache; least recently used entries are evicted above it."""

    cache_dir: Path | None = None
    """Where the disk cache keeps its files (default: ``data_dir / "cache"``)."""

    cache_response_chars: int = Field(default=500, ge=0)
    """Whole encoded responses to texts up to this long are cached too (repeated prompts then
    skip planning and encoding); longer texts are cached sentence by sentence only."""

    openai_voices: dict[str, str] = {
        **dict.fromkeys(("alloy", "nova", "shimmer", "coral", "sage"), "zh-baker"),
        **dict.fromkeys(("echo", "onyx", "fable", "ash", "ballad", "verse"), "en-joe"),
    }
    """OpenAI voice names and the voxserve voices they speak with."""

    # -- shared state (Redis) ----------------------------------------------------------------
    redis_url: str = ""
    """``redis://host:6379/0`` (or ``rediss://``, ``unix://``): several voxserve replicas share
    jobs, their queue and the sentence cache through this Redis. Empty: everything stays in
    this server (SQLite, local disk), the default."""

    redis_prefix: str = "voxserve:"
    """Prefix of every key voxserve writes, so that one Redis can serve several deployments."""

    redis_timeout_s: float = Field(default=2.0, gt=0)
    """Connect and command timeout; past it an operation that needs Redis answers 503."""

    cache_ttl_s: float = Field(default=7 * 24 * 3600.0, ge=0)
    """Lifetime of a sentence cache entry in Redis (0: none; Redis's maxmemory policy evicts)."""

    job_claim_idle_s: float = Field(default=30.0, gt=0)
    """A job whose replica has not renewed its claim for this long (it died) is taken over by
    another replica, which resumes it from its last saved sentence. Live replicas renew their
    claims every third of this."""

    # -- jobs ------------------------------------------------------------------------------
    job_workers: int = Field(default=1, ge=1, le=64)
    """Worker processes that render jobs only (started with the first job), besides ``workers``:
    jobs never take a worker from interactive requests."""

    job_worker_nice: int = Field(default=19, ge=0, le=19)
    """Niceness of the job workers: when interactive work wants the CPU, it gets it first."""

    max_job_chars: int = Field(default=200_000, ge=1)
    """Longest text one job may carry."""

    # -- lexicons --------------------------------------------------------------------------
    lexicon_max_entries: int = Field(default=10_000, ge=1)
    """Entries one pronunciation lexicon may hold."""

    lexicon_max_chars: int = Field(default=500_000, ge=1)
    """Characters (graphemes, pinyin and aliases together) one lexicon may hold."""

    lexicons_per_owner: int = Field(default=100, ge=1)
    """Lexicons one API key (or, with keys off, the whole service) may keep."""

    max_request_lexicons: int = Field(default=8, ge=1)
    """Lexicons one request may name."""

    job_retention_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    """Finished jobs (and their audio) are deleted this long after they finish."""

    job_disk_bytes: int = Field(default=10 * 1024**3, ge=0)
    """Disk budget of finished jobs' audio; the oldest finished jobs go first when over it."""

    job_sweep_interval_s: float = Field(default=300.0, gt=0)
    """How often expired jobs are swept."""

    webhook_secret: str = ""
    """Key of the webhooks' HMAC-SHA256 signatures. Empty: a random key is created once and kept
    in ``data_dir/webhook-secret`` (readable by the operator only)."""

    webhook_allow_private: bool = False
    """Allow webhook URLs that resolve to loopback, private, link-local or reserved addresses."""

    webhook_timeout_s: float = Field(default=10.0, gt=0)
    """Time one webhook attempt may take."""

    webhook_retry_for_s: float = Field(default=3600.0, ge=0)
    """How long a failing webhook is retried (exponential backoff with full jitter)."""

    webhook_backoff_s: float = Field(default=1.0, gt=0)
    """The first retry's maximum delay; it doubles with each attempt, up to ten minutes."""

    ws_max_message_chars: int = Field(default=10_000, ge=1)
    """Largest text piece one WebSocket message may carry."""

    ws_max_pending_sentences: int = Field(default=8, ge=1)
    """Sentences a WebSocket session may have between its reader and its sender."""

    log_level: str = "info"

    # -- security --------------------------------------------------------------------------
    require_api_key: bool = False
    """Refuse (401) every API request without a valid ``Authorization: Bearer`` key
    (``voxserve keys create``). The web page and the API docs stay public."""

    public_health: bool = True
    """With keys required: ``/healthz`` and ``/readyz`` still answer without a key."""

    public_metrics: bool = False
    """With keys required: ``/metrics`` answers without a key (else Prometheus needs one)."""

    limit_requests_per_minute: int = Field(default=0, ge=0)
    """Requests per minute per key (per client address when keys are not required); 0: none."""

    limit_characters_per_day: int = Field(default=0, ge=0)
    """Characters of text to speak per key (or address) per rolling day; 0: no limit."""

    limit_concurrent_streams: int = Field(default=0, ge=0)
    """Synthesis requests (whole, streamed or WebSocket) one key may run at once; 0: no limit."""

    cors_origins: str = ""
    """Comma-separated origins allowed to call the API from browsers (``*`` for any); empty:
    no CORS headers (only same-origin pages, such as the built-in one, can call it)."""

    header_timeout_s: float = Field(default=10.0, gt=0)
    """A connection whose request line and headers are not complete after this long is closed
    (slow clients holding connections open)."""

    max_header_bytes: int = Field(default=64 * 1024, ge=4096)
    """Largest request line + headers accepted (431 above it)."""

    http_impl: Literal["auto", "httptools", "h11"] = "auto"
    """uvicorn's HTTP/1.1 parser: ``auto`` takes httptools when it is installed, else h11."""

    log_format: Literal["auto", "json", "plain"] = "auto"
    """``json``: one JSON object per line; ``plain``: text; ``auto``: plain on a terminal,
    JSON otherwise (services, containers)."""

    log_text: bool = False
    """Include the text being spoken in log lines (off: logs never carry users' text)."""

    # -- Wyoming (Home Assistant and other local voice assistants) -------------------------
    wyoming_port: int = Field(default=0, ge=0, le=65535)
    """TCP port of the Wyoming protocol server; 0: off."""

    wyoming_host: str = "127.0.0.1"
    """Interface the Wyoming server binds. Wyoming has no authentication: keep it on loopback
    or a trusted network."""

    wyoming_allow_unauthenticated: bool = False
    """Serve Wyoming even though ``require_api_key`` is on (its clients cannot send a key)."""

    wyoming_max_connections: int = Field(default=64, ge=1)
    """Wyoming connections served at once; more get an ``error`` event and are closed."""

    wyoming_idle_timeout_s: float = Field(default=300.0, gt=0)
    """A Wyoming connection that sends no complete event for this long is closed."""

    @model_validator(mode="after")
    def _wyoming_needs_consent_with_keys(self) -> Settings:
        if self.wyoming_port and self.require_api_key and not self.wyoming_allow_unauthenticated:
            raise ValueError(
                "VOXSERVE_REQUIRE_API_KEY is on but Wyoming has no authentication: set "
                "VOXSERVE_WYOMING_ALLOW_UNAUTHENTICATED=true to serve it anyway, or leave "
                "VOXSERVE_WYOMING_PORT at 0"
            )
        return self
