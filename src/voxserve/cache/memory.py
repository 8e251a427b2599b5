"""In-process LRU cache with a byte budget."""

from __future__ import annotations

from collections import OrderedDict


class MemoryCache:
    """Least-recently-used entries are dropped once the payloads exceed ``max_bytes``.

    Every operation is O(1) and never yields to the event loop: the async methods exist only to
    satisfy :class:`~voxserve.cache.base.AudioCache`. Sizes count payload bytes only, not the few
    dozen bytes of Python object overhead per entry.
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0; got {max_bytes}")
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    @property
    def size_bytes(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    async def get(self, key: str) -> bytes | None:
        data = self._entries.get(key)
        if data is not None:
            self._entries.move_to_end(key)
        return data

    async def put(self, key: str, data: bytes) -> None:
        self._discard(key)
        if len(data) > self.max_bytes:
            return  # would evict everything else and still not fit
        self._entries[key] = bytes(data)  # a caller's bytearray must not change the entry
        self._size += len(data)
        while self._size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._size -= len(evicted)

    async def close(self) -> None:
        self._entries.clear()
        self._size = 0

    def _discard(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._size -= len(old)
