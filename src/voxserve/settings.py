"""Settings: one frozen object, read once from ``VOXSERVE_*`` variables and passed down."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
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
    """Refuse (429) a request when the queued work would delay it by more than this."""

    max_queued_requests: int = Field(default=512, ge=1)
    initial_seconds_per_char: float = Field(default=0.01, gt=0)
    """Starting guess of wall seconds per character per worker; measured values replace it."""

    drain_timeout_s: float = Field(default=10.0, ge=0)
    """On shutdown, how long admitted requests may take to finish."""

    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    """Largest request body accepted (413 above it)."""

    upload_timeout_s: float = Field(default=30.0, gt=0)
    """A request body still arriving after this long is refused (408)."""

    openai_voices: dict[str, str] = {
        **dict.fromkeys(("alloy", "nova", "shimmer", "coral", "sage"), "zh-baker"),
        **dict.fromkeys(("echo", "onyx", "fable", "ash", "ballad", "verse"), "en-joe"),
    }
    """OpenAI voice names and the voxserve voices they speak with."""

    ws_max_message_chars: int = Field(default=10_000, ge=1)
    """Largest text piece one WebSocket message may carry."""

    ws_max_pending_sentences: int = Field(default=8, ge=1)
    """Sentences a WebSocket session may have between its reader and its sender."""

    log_level: str = "info"
