"""A fast cache in front of a larger one (memory in front of disk, later of Redis)."""

from __future__ import annotations

from voxserve.cache.base import AudioCache, OpenableCache, SizedCache


class LayeredCache:
    """Reads try ``memory`` first, then ``back`` (a hit there is copied into ``memory``); writes
    go to both. ``back_name`` labels the back layer in :meth:`lookup` and in the metrics."""

    def __init__(
        self, memory: AudioCache, back: AudioCache | None = None, *, back_name: str = "disk"
    ) -> None:
        self.memory = memory
        self.back = back
        self.back_name = back_name

    @property
    def layers(self) -> dict[str, AudioCache]:
        """Every layer by name, fastest first."""
        layers = {"memory": self.memory}
        if self.back is not None:
            layers[self.back_name] = self.back
        return layers

    def sizes(self) -> dict[str, int]:
        """Bytes held by each layer that can tell."""
        return {
            name: layer.size_bytes
            for name, layer in self.layers.items()
            if isinstance(layer, SizedCache)
        }

    async def open(self) -> None:
        """Do each layer's setup now rather than on the first request."""
        for layer in self.layers.values():
            if isinstance(layer, OpenableCache):
                await layer.open()

    async def lookup(self, key: str) -> tuple[bytes, str] | None:
        """The entry and the name of the layer that had it, or None."""
        data = await self.memory.get(key)
        if data is not None:
            return data, "memory"
        if self.back is None:
            return None
        data = await self.back.get(key)
        if data is None:
            return None
        await self.memory.put(key, data)
        return data, self.back_name

    async def get(self, key: str) -> bytes | None:
        found = await self.lookup(key)
        return None if found is None else found[0]

    async def put(self, key: str, data: bytes) -> None:
        await self.memory.put(key, data)
        if self.back is not None:
            await self.back.put(key, data)

    async def close(self) -> None:
        try:
            if self.back is not None:
                await self.back.close()
        finally:
            await self.memory.close()
