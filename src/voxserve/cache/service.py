"""The front the service uses: cache lookup, single-flight synthesis on a miss, and metrics."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from voxserve.cache.base import SizedCache
from voxserve.cache.layered import LayeredCache
from voxserve.cache.singleflight import SingleFlight
from voxserve.metrics import Metrics

log = logging.getLogger(__name__)


class CachedAudio:
    """Answers ``get_or_compute`` from the cache, or computes once per key and stores the result.

    Storage trouble never fails a call: a cache that raises is logged and treated as a miss (on
    read) or skipped (on write). Errors of ``compute`` itself reach every caller sharing it, and
    nothing is stored for them.
    """

    def __init__(self, cache: LayeredCache, metrics: Metrics) -> None:
        self.cache = cache
        self.metrics = metrics
        self._flight: SingleFlight[tuple[bytes, str]] = SingleFlight()
        self._warned: set[str] = set()
        for name, layer in cache.layers.items():
            if isinstance(layer, SizedCache):
                # Read at scrape time: no gauge bookkeeping on the request path.
                metrics.cache_size_bytes.labels(name).set_function(_size_of(layer))

    @property
    def in_flight(self) -> int:
        """Keys being computed now."""
        return len(self._flight)

    async def get_or_compute(
        self, key: str, compute: Callable[[], Awaitable[bytes]]
    ) -> tuple[bytes, str]:
        """The bytes for ``key`` and where they came from: ``memory`` or ``disk`` (the cache
        layer that had them; a back layer's own name for other backends), ``shared`` (joined an
        identical call's computation in flight) or ``miss`` (computed for this call).

        ``compute`` runs at most once at a time per key, in a task of its own: it keeps running
        while any caller still waits for it, so it must not depend on the first caller's request
        staying alive.
        """
        found = await self._lookup(key)
        if found is None:
            found, shared = await self._flight.run(key, lambda: self._load_or_compute(key, compute))
            if shared:
                found = (found[0], "shared")
        data, origin = found
        if origin != "miss":
            self._count_hit(data, origin)
        return data, origin

    async def lookup(self, key: str) -> tuple[bytes, str] | None:
        """The cached bytes and their layer, or None; counted as a hit or a miss. For callers
        that share computations themselves and use :meth:`store` after a miss."""
        found = await self._lookup(key)
        if found is None:
            self.metrics.cache_misses.inc()
        else:
            self._count_hit(*found)
        return found

    async def store(self, key: str, data: bytes) -> None:
        """Keep ``data`` under ``key`` (never raises for storage trouble)."""
        await self._store(key, data)

    async def open(self) -> None:
        """Prepare the layers (index the disk cache) before the first request needs them."""
        try:
            await self.cache.open()
        except Exception:
            self._complain("open")

    async def close(self) -> None:
        await self.cache.close()

    async def _load_or_compute(
        self, key: str, compute: Callable[[], Awaitable[bytes]]
    ) -> tuple[bytes, str]:
        # Looked up again: an identical call may have stored it between our miss and this flight.
        found = await self._lookup(key)
        if found is not None:
            return found
        self.metrics.cache_misses.inc()
        data = bytes(await compute())
        await self._store(key, data)
        return data, "miss"

    async def _lookup(self, key: str) -> tuple[bytes, str] | None:
        try:
            return await self.cache.lookup(key)
        except Exception:
            self._complain("lookup")
            return None

    async def _store(self, key: str, data: bytes) -> None:
        try:
            await self.cache.put(key, data)
        except Exception:
            self._complain("store")
            return
        self.metrics.cache_bytes_stored.inc(len(data))

    def _count_hit(self, data: bytes, layer: str) -> None:
        self.metrics.cache_hits.labels(layer).inc()
        self.metrics.cache_bytes_served.inc(len(data))

    def _complain(self, what: str) -> None:
        # A backend that is down fails every call: one traceback says it, the rest would drown
        # the log.
        level = logging.DEBUG if what in self._warned else logging.ERROR
        self._warned.add(what)
        log.log(level, "cache %s failed; serving without the cache", what, exc_info=True)


def _size_of(layer: SizedCache) -> Callable[[], float]:
    return lambda: float(layer.size_bytes)
