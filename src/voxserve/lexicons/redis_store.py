"""Lexicons in Redis, shared by every replica of a scaled-out service.

One hash per owner, ``P lexicons:<owner>`` (``P`` is ``redis_prefix``; the shared namespace of
a service without API keys is ``-``): field = name, value = the stored lexicon as JSON. A Lua
script creates or replaces one, so the count limit and the version are decided atomically.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import redis.asyncio as redis

from voxserve.lexicons.base import SHARED, StoredLexicon
from voxserve.redis_state import connect, unreachable_as_unavailable
from voxserve.settings import Settings
from voxserve.text.lexicon import Pronunciation

# KEYS[1] the owner's hash; ARGV: name, entries JSON, now, max count. Returns the record or nil.
_PUT = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
local version, created = 1, tonumber(ARGV[3])
if old then
  local record = cjson.decode(old)
  version, created = record.version + 1, record.created_at
elseif redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  return nil
end
local record = cjson.encode({version = version, created_at = created,
                             updated_at = tonumber(ARGV[3]), entries = ARGV[2]})
redis.call('HSET', KEYS[1], ARGV[1], record)
return record
"""


def _stored(owner: str, name: str, raw: bytes | str) -> StoredLexicon:
    record: dict[str, Any] = json.loads(raw)
    entries = StoredLexicon.entries_from(json.loads(record["entries"]))
    return StoredLexicon(
        owner, name, int(record["version"]), entries, record["created_at"], record["updated_at"]
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisLexiconStore:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._put = client.register_script(_PUT)

    @classmethod
    def open(cls, settings: Settings) -> RedisLexiconStore:
        return cls(connect(settings), settings.redis_prefix)

    def _key(self, owner: str) -> str:
        return f"{self.prefix}lexicons:{'-' if owner == SHARED else owner}"

    @unreachable_as_unavailable
    async def get(self, owner: str, name: str) -> StoredLexicon | None:
        raw = await self.client.hget(self._key(owner), name)
        # Decoding a large lexicon is CPU work: off the event loop.
        return await asyncio.to_thread(_stored, owner, name, raw) if raw else None

    @unreachable_as_unavailable
    async def all(self, owner: str) -> list[StoredLexicon]:
        records = await self.client.hgetall(self._key(owner))
        found = await asyncio.to_thread(
            lambda: [_stored(owner, _text(name), raw) for name, raw in records.items()]
        )
        return sorted(found, key=lambda s: s.name)

    @unreachable_as_unavailable
    async def put(
        self, owner: str, name: str, entries: tuple[Pronunciation, ...], max_count: int
    ) -> StoredLexicon | None:
        text = json.dumps([e.to_json() for e in entries], ensure_ascii=False)
        raw = await self._put(keys=[self._key(owner)], args=[name, text, time.time(), max_count])
        return await asyncio.to_thread(_stored, owner, name, raw) if raw else None

    @unreachable_as_unavailable
    async def delete(self, owner: str, name: str) -> bool:
        return bool(await self.client.hdel(self._key(owner), name))

    async def close(self) -> None:
        await self.client.aclose()
