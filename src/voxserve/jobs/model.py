"""What a job is: its status, its request, its progress, its outcome and its webhook attempts."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from voxserve.text.lexicon import Lexicon
from voxserve.types import AudioFormat, SynthesisRequest


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class WebhookState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class WebhookAttempt:
    """One delivery attempt: when, how long, and the receiver's status or the error."""

    at: float
    duration: float
    status: int | None
    error: str | None


def new_job_id() -> str:
    return "job_" + secrets.token_hex(12)


def request_to_dict(request: SynthesisRequest) -> dict[str, Any]:
    return {
        "text": request.text,
        "voice": request.voice,
        "emotion": request.emotion,
        "intensity": request.intensity,
        "speed": request.speed,
        "pitch": request.pitch,
        "volume": request.volume,
        "format": request.format.value,
        "sample_rate": request.sample_rate,
        "lexicons": list(request.lexicon.names),
        "lexicon": request.lexicon.to_json(),
        "ssml": request.ssml,
    }


def request_from_dict(data: dict[str, Any]) -> SynthesisRequest:
    """What :func:`request_to_dict` wrote; requests stored before lexicons existed have none."""
    fields = {name: value for name, value in data.items() if name != "lexicons"}
    lexicon = Lexicon.from_json(data.get("lexicon"), data.get("lexicons", ()))
    return SynthesisRequest(**{**fields, "format": AudioFormat(data["format"]), "lexicon": lexicon})


@dataclass(frozen=True)
class Job:
    """A job's record. Stores return fresh copies; change one with :func:`dataclasses.replace`."""

    id: str
    request: SynthesisRequest
    status: JobStatus = JobStatus.QUEUED
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    units_total: int = 0
    """0 until the text has been split (when the job first runs)."""
    units_done: int = 0
    chars_done: int = 0
    audio_seconds: float = 0.0
    """Seconds of audio rendered so far."""
    sample_rate: int = 0
    error_code: str | None = None
    error_message: str | None = None
    webhook_url: str | None = None
    webhook_state: WebhookState | None = None
    webhook_attempts: tuple[WebhookAttempt, ...] = ()
    audio_bytes: int = 0
    restarts: int = 0
    """How often the job was resumed after the service stopped while it ran."""
    owner: str | None = None
    """The API key that submitted the job (``key:<id>``); None when keys are off, and for jobs
    stored before jobs had owners. Only its owner sees a job that has one."""

    @property
    def chars(self) -> int:
        return len(self.request.text)
