"""The JobStore protocol: where job records, their per-unit progress and their audio are kept.

Progress is saved unit by unit, so that a job resumes from its last finished unit after a crash;
saving a unit twice (a unit rendered again after a crash) replaces it and is counted in its
``renders``, never added twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from voxserve.jobs.model import Job, WebhookAttempt


@dataclass(frozen=True)
class UnitRecord:
    index: int
    chars: int
    seconds: float
    renders: int
    """How many times this unit's audio was saved (1 unless it was rendered again)."""


class JobStore(Protocol):
    """Durable job records. Every method is safe to call from the event loop (no blocking)."""

    async def create(self, job: Job) -> None: ...

    async def get(self, job_id: str) -> Job | None: ...

    async def page(self, limit: int, after: str | None = None) -> list[Job]:
        """Newest first; ``after`` is the id of the last job of the previous page."""
        ...

    async def unfinished(self) -> list[Job]:
        """Queued and running jobs, oldest first (to resume after a restart)."""
        ...

    async def update(self, job: Job) -> None:
        """Write the job's status, timestamps, plan size, outcome and webhook state."""
        ...

    async def save_unit(self, job_id: str, index: int, chars: int, pcm: bytes) -> Job:
        """Keep one unit's samples (16-bit PCM) and progress; returns the updated job."""
        ...

    async def save_marks(self, job_id: str, index: int, marks: bytes) -> None:
        """Keep when each item of one unit is spoken (saved before the unit's samples)."""
        ...

    async def read_marks(self, job_id: str, index: int) -> bytes | None:
        """A unit's marks; None for a unit saved before marks were kept."""
        ...

    async def save_timings(self, job_id: str, data: bytes) -> None:
        """Keep a finished job's timestamps (its tokens and sentences, compressed)."""
        ...

    async def read_timings(self, job_id: str) -> bytes | None:
        """A finished job's timestamps; None for a job finished before they were kept."""
        ...

    async def units(self, job_id: str) -> list[UnitRecord]: ...

    async def read_unit(self, job_id: str, index: int) -> bytes: ...

    async def drop_units(self, job_id: str) -> None:
        """Remove a job's unit audio and marks (once its file is written, or when it is
        cancelled)."""
        ...

    async def add_webhook_attempt(self, job_id: str, attempt: WebhookAttempt) -> None: ...

    def audio_path(self, job_id: str) -> Path:
        """Where the finished audio file is (or will be) kept."""
        ...

    async def delete(self, job_id: str) -> None:
        """Forget the job and remove its files."""
        ...

    async def finished(self) -> list[Job]:
        """Finished jobs, oldest finish first (for retention)."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class SharedAudio(Protocol):
    """A store whose finished audio lives away from this server (Redis, for several replicas):
    the runner hands it the file it wrote at :meth:`JobStore.audio_path`, and readers ask it for
    a local copy. Stores without these methods serve ``audio_path`` as it is."""

    async def publish_audio(self, job_id: str) -> None:
        """Make the file at ``audio_path(job_id)`` the job's audio for every replica."""
        ...

    async def fetch_audio(self, job: Job) -> Path:
        """A local copy of ``job``'s finished audio file."""
        ...
