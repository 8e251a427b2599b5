"""The cache protocol every backend implements (memory, disk, and later Redis)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class AudioCache(Protocol):
    """An async key -> bytes store. Values are opaque; a backend may drop any entry at any time.

    Backends never raise for storage trouble (full disk, lost connection): a failed ``get`` is a
    miss and a failed ``put`` is a no-op, because a cache must not fail the request it speeds up.
    """

    async def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or None."""
        ...

    async def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (replacing any entry), if the backend has room for it."""
        ...

    async def close(self) -> None:
        """Finish pending writes and release resources; the cache is unusable afterwards."""
        ...


@runtime_checkable
class SizedCache(Protocol):
    """A backend that knows how many bytes it holds (exported as a gauge when available)."""

    @property
    def size_bytes(self) -> int: ...


@runtime_checkable
class OpenableCache(Protocol):
    """A backend with setup worth doing before the first request (indexing a directory,
    connecting); it also does it lazily on first use."""

    async def open(self) -> None: ...
