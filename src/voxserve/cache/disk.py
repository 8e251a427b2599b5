"""Disk cache: one checksummed file per entry under a size cap, without blocking the event loop.

Layout: ``<directory>/<h[:2]>/<h>`` where ``h`` is the sha256 of the key (any key is a safe file
name, and 256 shards keep directories small). A file is a 44-byte header (``b"VXC1"``, payload
length as a big-endian u64, sha256 of the payload) followed by the payload. A file that fails
either check (a torn write, bit rot, an edit) is deleted and reported as a miss, never served.

The index of files (sizes, least recently used first) lives in memory: it is rebuilt from the
directory on first use, ordered by modification time, and a hit touches the file's mtime so that
recency survives a restart. One server process owns a directory; a second one writing to it
works, but each enforces the cap only over the files it knows.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
import os
import secrets
import struct
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path

log = logging.getLogger(__name__)

MAGIC = b"VXC1"
_HEADER = struct.Struct(">4sQ32s")
HEADER_SIZE = _HEADER.size
_STALE_TMP_S = 600.0
"""Temporary files older than this are leftovers of a crash (a live write takes milliseconds)."""
_HEX = frozenset("0123456789abcdef")


class _Problem(enum.Enum):
    MISSING = "missing"
    CORRUPT = "corrupt"
    ERROR = "error"


def file_name(key: str) -> str:
    """The file name (64 hex digits) that stores ``key``."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def encode_header(data: bytes) -> bytes:
    """The header that precedes ``data`` in its file."""
    return _HEADER.pack(MAGIC, len(data), hashlib.sha256(data).digest())


def _is_entry_name(name: str) -> bool:
    return len(name) == 64 and set(name) <= _HEX


class DiskCache:
    """An :class:`~voxserve.cache.base.AudioCache` of files under ``directory``, at most
    ``max_bytes`` of them (headers included).

    All file I/O runs in worker threads. Storage errors (disk full, read-only directory) are
    logged once per kind of operation and turn into misses and skipped writes. Files are written
    to a temporary name and renamed into place, so readers see a whole file or none; they are not
    fsynced by default (``fsync=True`` does), because a file torn by a power loss fails its
    checksum and is recomputed: durability is not worth a flush per sentence for derived data.
    """

    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        *,
        fsync: bool = False,
        on_corrupt: Callable[[], object] | None = None,
    ) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0; got {max_bytes}")
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.fsync = fsync
        self.corrupt = 0
        """Damaged files found (and deleted) so far."""
        self.errors = 0
        """Operating-system errors met so far (each one a miss or a skipped write)."""
        self._on_corrupt = on_corrupt
        self._index: OrderedDict[str, int] = OrderedDict()  # file name -> file size, LRU first
        self._size = 0
        self._opened = False
        self._closed = False
        self._open_lock = asyncio.Lock()
        self._writes: set[asyncio.Task[None]] = set()
        self._warned: set[str] = set()

    @property
    def size_bytes(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._index)

    async def open(self) -> None:
        """Index the files already in the directory. Runs once; ``get`` and ``put`` call it, so
        calling it at startup only moves the directory scan out of the first request."""
        if self._opened:
            return
        async with self._open_lock:
            if self._opened:
                return
            for name, size in await asyncio.to_thread(self._scan):
                self._index[name] = size
                self._size += size
            self._opened = True
            await self._evict()

    async def get(self, key: str) -> bytes | None:
        if self._closed:
            return None
        await self.open()
        name = file_name(key)
        if name not in self._index:
            return None  # no thread hop for a miss: every file this process may read is indexed
        result = await asyncio.to_thread(self._read, name)
        if isinstance(result, bytes):
            if name in self._index:
                self._index.move_to_end(name)
            return result
        self._forget(name)
        if result is _Problem.CORRUPT:
            self.corrupt += 1
            if self._on_corrupt is not None:
                self._on_corrupt()
        return None

    async def put(self, key: str, data: bytes) -> None:
        if self._closed or HEADER_SIZE + len(data) > self.max_bytes:
            return
        await self.open()
        task = asyncio.create_task(self._store(file_name(key), bytes(data)))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        # A caller cancelled mid-write must not leave a file on disk that the index misses.
        await asyncio.shield(task)

    async def close(self) -> None:
        """Wait for writes in progress; later calls are misses and no-ops."""
        self._closed = True
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    # -- index (event loop only) -----------------------------------------------------------

    async def _store(self, name: str, data: bytes) -> None:
        size = await asyncio.to_thread(self._write, name, data)
        if size is None:
            return
        self._forget(name)
        self._index[name] = size
        self._size += size
        await self._evict()

    async def _evict(self) -> None:
        victims: list[str] = []
        while self._size > self.max_bytes and self._index:
            name, size = self._index.popitem(last=False)
            self._size -= size
            victims.append(name)
        if victims:
            await asyncio.to_thread(self._unlink, victims)

    def _forget(self, name: str) -> None:
        size = self._index.pop(name, None)
        if size is not None:
            self._size -= size

    # -- file I/O (worker threads only) ----------------------------------------------------

    def _path(self, name: str) -> Path:
        return self.directory / name[:2] / name

    def _read(self, name: str) -> bytes | _Problem:
        path = self._path(name)
        try:
            with path.open("rb") as f:
                header = f.read(HEADER_SIZE)
                payload = f.read()
        except FileNotFoundError:
            return _Problem.MISSING
        except OSError as exc:
            self._report("read", exc)
            return _Problem.ERROR
        if not _intact(header, payload):
            log.warning("deleting damaged cache file %s", path)
            with suppress(OSError):
                path.unlink()
            return _Problem.CORRUPT
        with suppress(OSError):
            os.utime(path)  # recency for the index rebuilt at the next start
        return payload

    def _write(self, name: str, data: bytes) -> int | None:
        path = self._path(name)
        # Unique per writer: two concurrent puts of one key never share a temporary file.
        tmp = path.with_name(f"{name}.{secrets.token_hex(4)}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("xb") as f:
                f.write(encode_header(data))
                f.write(data)
                if self.fsync:
                    f.flush()
                    os.fsync(f.fileno())
            tmp.replace(path)
        except OSError as exc:
            self._report("write", exc)
            with suppress(OSError):
                tmp.unlink()
            return None
        return HEADER_SIZE + len(data)

    def _unlink(self, names: Iterable[str]) -> None:
        for name in names:
            try:
                self._path(name).unlink(missing_ok=True)
            except OSError as exc:
                self._report("evict", exc)

    def _scan(self) -> list[tuple[str, int]]:
        """(name, size) of every entry file, least recently used first."""
        found: list[tuple[float, str, int]] = []
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with os.scandir(self.directory) as shards:
                for shard in shards:
                    if len(shard.name) == 2 and shard.is_dir(follow_symlinks=False):
                        found.extend(self._scan_shard(shard.path, shard.name))
        except OSError as exc:
            self._report("index", exc)
        found.sort()
        return [(name, size) for _, name, size in found]

    def _scan_shard(self, shard: str, prefix: str) -> list[tuple[float, str, int]]:
        found: list[tuple[float, str, int]] = []
        stale = time.time() - _STALE_TMP_S
        with os.scandir(shard) as files:
            for entry in files:
                try:
                    stat = entry.stat(follow_symlinks=False)
                    if entry.name.endswith(".tmp"):
                        if stat.st_mtime < stale:
                            Path(entry.path).unlink()
                    elif _is_entry_name(entry.name) and entry.name.startswith(prefix):
                        found.append((stat.st_mtime, entry.name, stat.st_size))
                except OSError:
                    continue  # vanished or unreadable: not ours to index
        return found

    def _report(self, what: str, exc: OSError) -> None:
        self.errors += 1
        level = logging.DEBUG if what in self._warned else logging.WARNING
        self._warned.add(what)
        log.log(
            level, "disk cache %s failed in %s: %s; going on without it", what, self.directory, exc
        )


def _intact(header: bytes, payload: bytes) -> bool:
    if len(header) != HEADER_SIZE:
        return False
    magic, length, digest = _HEADER.unpack(header)
    return bool(
        magic == MAGIC and length == len(payload) and hashlib.sha256(payload).digest() == digest
    )
