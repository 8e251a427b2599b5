"""The embedded JobStore: SQLite (WAL) for records and progress, files for audio.

Layout under ``directory``: ``jobs.db``, and per job ``<id>/units/<index>.s16`` (each finished
unit's samples) and ``<id>/audio`` (the finished file). All SQLite and file work runs on one
thread of its own, so calls are serialized and the event loop never waits on the disk.

A unit's file is written (atomically) before its row is committed: after a crash, a unit either
has both or is rendered again. WAL with ``synchronous=NORMAL`` keeps every committed row across
a crash of the process (SIGKILL included); only a power loss may drop the last commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from voxserve.errors import StorageError, database_error
from voxserve.jobs.base import UnitRecord
from voxserve.jobs.model import (
    Job,
    JobStatus,
    WebhookAttempt,
    WebhookState,
    request_from_dict,
    request_to_dict,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    units_total INTEGER NOT NULL DEFAULT 0,
    sample_rate INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    error_message TEXT,
    webhook_url TEXT,
    webhook_state TEXT,
    audio_bytes INTEGER NOT NULL DEFAULT 0,
    restarts INTEGER NOT NULL DEFAULT 0,
    owner TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
CREATE TABLE IF NOT EXISTS units (
    job_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    chars INTEGER NOT NULL,
    seconds REAL NOT NULL,
    renders INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (job_id, idx)
);
CREATE TABLE IF NOT EXISTS webhook_attempts (
    job_id TEXT NOT NULL,
    at REAL NOT NULL,
    duration REAL NOT NULL,
    status INTEGER,
    error TEXT
);
CREATE INDEX IF NOT EXISTS webhook_attempts_job ON webhook_attempts (job_id);
"""

_UPDATED = (
    "status",
    "started_at",
    "finished_at",
    "units_total",
    "sample_rate",
    "error_code",
    "error_message",
    "webhook_state",
    "audio_bytes",
    "restarts",
)


class SqliteJobStore:
    """Jobs in ``directory/jobs.db``, audio beside it. Open with :meth:`open`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voxserve-jobs")
        self._db: sqlite3.Connection | None = None

    @classmethod
    async def open(cls, directory: Path) -> SqliteJobStore:
        store = cls(directory)
        await store._call(store._connect)
        return store

    def _connect(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.directory / "jobs.db", isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        _migrate(db)
        self._db = db

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except (sqlite3.OperationalError, OSError) as exc:
            problem = self._storage_error(exc)
            if problem is None:
                raise
            log.warning("job store: %s", problem.message)
            raise problem from exc

    def _storage_error(self, exc: sqlite3.OperationalError | OSError) -> StorageError | None:
        """A full or unwritable disk as a StorageError (the API answers 507 or 503 for it, and the
        runner waits and retries); None for anything else."""
        return database_error(exc, f"the job store in {self.directory}")

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the job store is closed")
        return self._db

    # -- records ---------------------------------------------------------------------------

    async def create(self, job: Job) -> None:
        await self._call(self._create, job)

    def _create(self, job: Job) -> None:
        self.db.execute(
            "INSERT INTO jobs (id, request, status, created_at, updated_at, webhook_url, "
            "webhook_state, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.id,
                json.dumps(request_to_dict(job.request), ensure_ascii=False),
                job.status.value,
                job.created_at,
                job.updated_at,
                job.webhook_url,
                job.webhook_state.value if job.webhook_state else None,
                job.owner,
            ),
        )

    async def get(self, job_id: str) -> Job | None:
        return await self._call(self._get, job_id)

    def _get(self, job_id: str) -> Job | None:
        row = self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else self._job(row)

    def _job(self, row: sqlite3.Row) -> Job:
        progress = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(chars), 0), COALESCE(SUM(seconds), 0) "
            "FROM units WHERE job_id = ?",
            (row["id"],),
        ).fetchone()
        attempts = self.db.execute(
            "SELECT at, duration, status, error FROM webhook_attempts WHERE job_id = ? "
            "ORDER BY rowid",
            (row["id"],),
        ).fetchall()
        return Job(
            id=row["id"],
            request=request_from_dict(json.loads(row["request"])),
            status=JobStatus(row["status"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            units_total=row["units_total"],
            units_done=progress[0],
            chars_done=progress[1],
            audio_seconds=progress[2],
            sample_rate=row["sample_rate"],
            error_code=row["error_code"],
            error_message=row["error_message"],
            webhook_url=row["webhook_url"],
            webhook_state=WebhookState(row["webhook_state"]) if row["webhook_state"] else None,
            webhook_attempts=tuple(WebhookAttempt(*a) for a in attempts),
            audio_bytes=row["audio_bytes"],
            restarts=row["restarts"],
            owner=row["owner"],
        )

    async def page(self, limit: int, after: str | None = None) -> list[Job]:
        return await self._call(self._page, limit, after)

    def _page(self, limit: int, after: str | None) -> list[Job]:
        if after is None:
            rows = self.db.execute("SELECT * FROM jobs ORDER BY seq DESC LIMIT ?", (limit,))
        else:
            rows = self.db.execute(
                "SELECT * FROM jobs WHERE seq < (SELECT seq FROM jobs WHERE id = ?) "
                "ORDER BY seq DESC LIMIT ?",
                (after, limit),
            )
        return [self._job(r) for r in rows.fetchall()]

    async def unfinished(self) -> list[Job]:
        return await self._call(self._where, "status IN ('queued', 'running') ORDER BY seq")

    async def finished(self) -> list[Job]:
        return await self._call(
            self._where, "status IN ('succeeded', 'failed', 'cancelled') ORDER BY finished_at"
        )

    def _where(self, clause: str) -> list[Job]:
        rows = self.db.execute(f"SELECT * FROM jobs WHERE {clause}").fetchall()
        return [self._job(r) for r in rows]

    async def update(self, job: Job) -> None:
        await self._call(self._update, job)

    def _update(self, job: Job) -> None:
        values = {name: getattr(job, name) for name in _UPDATED}
        values["status"] = job.status.value
        values["webhook_state"] = job.webhook_state.value if job.webhook_state else None
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        self.db.execute(
            f"UPDATE jobs SET {assignments}, updated_at = :now WHERE id = :id",
            {**values, "now": time.time(), "id": job.id},
        )

    # -- units -----------------------------------------------------------------------------

    async def save_unit(self, job_id: str, index: int, chars: int, pcm: bytes) -> Job:
        return await self._call(self._save_unit, job_id, index, chars, pcm)

    def _save_unit(self, job_id: str, index: int, chars: int, pcm: bytes) -> Job:
        row = self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise KeyError(job_id)
        path = self._unit_path(job_id, index)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, pcm)
        seconds = len(pcm) / 2 / max(1, row["sample_rate"])
        self.db.execute(
            "INSERT INTO units (job_id, idx, chars, seconds) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (job_id, idx) DO UPDATE SET renders = renders + 1, seconds = ?",
            (job_id, index, chars, seconds, seconds),
        )
        self.db.execute("UPDATE jobs SET updated_at = ? WHERE id = ?", (time.time(), job_id))
        return self._job(row)

    async def save_marks(self, job_id: str, index: int, marks: bytes) -> None:
        path = self._unit_path(job_id, index).with_suffix(".marks")
        await self._call(_write_into, path, marks)

    async def read_marks(self, job_id: str, index: int) -> bytes | None:
        return await self._call(_read_if_any, self._unit_path(job_id, index).with_suffix(".marks"))

    async def save_timings(self, job_id: str, data: bytes) -> None:
        await self._call(_write_into, self.directory / job_id / "timings", data)

    async def read_timings(self, job_id: str) -> bytes | None:
        return await self._call(_read_if_any, self.directory / job_id / "timings")

    async def units(self, job_id: str) -> list[UnitRecord]:
        return await self._call(self._units, job_id)

    def _units(self, job_id: str) -> list[UnitRecord]:
        rows = self.db.execute(
            "SELECT idx, chars, seconds, renders FROM units WHERE job_id = ? ORDER BY idx",
            (job_id,),
        )
        return [UnitRecord(*r) for r in rows.fetchall()]

    async def read_unit(self, job_id: str, index: int) -> bytes:
        return await self._call(self._unit_path(job_id, index).read_bytes)

    def _unit_path(self, job_id: str, index: int) -> Path:
        return self.directory / job_id / "units" / f"{index:07d}.s16"

    def audio_path(self, job_id: str) -> Path:
        return self.directory / job_id / "audio"

    async def drop_units(self, job_id: str) -> None:
        """Remove a job's unit files (after its audio is assembled, or when it is cancelled)."""
        await self._call(shutil.rmtree, self.directory / job_id / "units", True)

    # -- webhooks, deletion, shutdown ------------------------------------------------------

    async def add_webhook_attempt(self, job_id: str, attempt: WebhookAttempt) -> None:
        await self._call(
            self.db.execute,
            "INSERT INTO webhook_attempts (job_id, at, duration, status, error) "
            "VALUES (?, ?, ?, ?, ?)",
            (job_id, attempt.at, attempt.duration, attempt.status, attempt.error),
        )

    async def delete(self, job_id: str) -> None:
        await self._call(self._delete, job_id)

    def _delete(self, job_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.directory / job_id)
        for table, column in (("units", "job_id"), ("webhook_attempts", "job_id")):
            self.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (job_id,))
        self.db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    async def close(self) -> None:
        if self._db is not None:
            await self._call(self.db.close)
            self._db = None
        self._executor.shutdown(wait=False)


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a store made by an older voxserve up to the schema (its jobs keep no owner)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    if "owner" not in columns:
        db.execute("ALTER TABLE jobs ADD COLUMN owner TEXT")


def _write_into(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, data)


def _read_if_any(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _write_atomic(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as handle:
        handle.write(data)
    partial.replace(path)


def with_status(job: Job, status: JobStatus, **changes: Any) -> Job:
    """``job`` moved to ``status`` (a convenience for callers of :meth:`SqliteJobStore.update`)."""
    return replace(job, status=status, **changes)
