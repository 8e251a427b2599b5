from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import pytest

from voxserve.cache.disk import HEADER_SIZE, MAGIC, DiskCache, file_name

ENTRY = 100
FILE = HEADER_SIZE + ENTRY


def path_of(directory: Path, key: str) -> Path:
    name = file_name(key)
    return directory / name[:2] / name


def payload(char: str) -> bytes:
    return char.encode() * ENTRY


def test_round_trip_and_file_layout(tmp_path: Path) -> None:
    async def go() -> None:
        cache = DiskCache(tmp_path, 10 * FILE)
        await cache.put("unit:v1:abc", payload("a"))
        assert await cache.get("unit:v1:abc") == payload("a")
        assert await cache.get("unit:v1:other") is None
        assert cache.size_bytes == FILE and len(cache) == 1
        await cache.close()

    asyncio.run(go())
    blob = path_of(tmp_path, "unit:v1:abc").read_bytes()
    assert blob.startswith(MAGIC) and len(blob) == FILE
    assert not list(tmp_path.rglob("*.tmp"))


def test_cap_evicts_least_recently_used_files(tmp_path: Path) -> None:
    async def go() -> None:
        cache = DiskCache(tmp_path, 3 * FILE)
        for key in "abc":
            await cache.put(key, payload(key))
        assert await cache.get("a") is not None  # "b" is now the least recently used
        await cache.put("d", payload("d"))
        assert await cache.get("b") is None
        assert [await cache.get(k) is not None for k in "acd"] == [True] * 3
        assert cache.size_bytes == 3 * FILE

    asyncio.run(go())
    assert not path_of(tmp_path, "b").exists()
    assert sum(1 for p in tmp_path.rglob("*") if p.is_file()) == 3


def test_entry_larger_than_the_cap_is_not_written(tmp_path: Path) -> None:
    async def go() -> None:
        cache = DiskCache(tmp_path, FILE - 1)
        await cache.put("a", payload("a"))
        assert await cache.get("a") is None

    asyncio.run(go())
    assert not path_of(tmp_path, "a").exists()


def test_entries_persist_across_reopen(tmp_path: Path) -> None:
    async def fill() -> None:
        cache = DiskCache(tmp_path, 10 * FILE)
        for key in "abc":
            await cache.put(key, payload(key))
        await cache.close()

    async def reopen() -> DiskCache:
        cache = DiskCache(tmp_path, 10 * FILE)
        assert await cache.get("b") == payload("b")
        assert cache.size_bytes == 3 * FILE and len(cache) == 3
        return cache

    asyncio.run(fill())
    asyncio.run(reopen())


def test_reopen_with_a_smaller_cap_evicts_the_oldest_by_mtime(tmp_path: Path) -> None:
    async def fill() -> None:
        cache = DiskCache(tmp_path, 10 * FILE)
        for key in "abc":
            await cache.put(key, payload(key))

    asyncio.run(fill())
    now = time.time()
    for age, key in ((30, "b"), (20, "a"), (10, "c")):
        os.utime(path_of(tmp_path, key), (now - age, now - age))

    async def reopen() -> None:
        cache = DiskCache(tmp_path, 2 * FILE)
        await cache.open()
        assert len(cache) == 2
        assert await cache.get("b") is None
        assert await cache.get("a") == payload("a")

    asyncio.run(reopen())
    assert not path_of(tmp_path, "b").exists()


def test_a_hit_refreshes_mtime_for_the_next_start(tmp_path: Path) -> None:
    async def go() -> None:
        cache = DiskCache(tmp_path, 10 * FILE)
        await cache.put("a", payload("a"))
        os.utime(path_of(tmp_path, "a"), (1, 1))
        assert await cache.get("a") is not None

    asyncio.run(go())
    assert path_of(tmp_path, "a").stat().st_mtime > time.time() - 60


def flip_byte(path: Path) -> None:
    blob = bytearray(path.read_bytes())
    blob[HEADER_SIZE + 7] ^= 0x01
    path.write_bytes(bytes(blob))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-1])


def extend(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\x00")


def bad_magic(path: Path) -> None:
    path.write_bytes(b"XXXX" + path.read_bytes()[4:])


def header_only(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: HEADER_SIZE - 3])


@pytest.mark.parametrize("damage", [flip_byte, truncate, extend, bad_magic, header_only])
def test_damaged_file_is_a_miss_counted_and_removed(tmp_path: Path, damage: object) -> None:
    reported: list[int] = []

    async def go() -> None:
        cache = DiskCache(tmp_path, 10 * FILE, on_corrupt=lambda: reported.append(1))
        await cache.put("a", payload("a"))
        damage(path_of(tmp_path, "a"))  # type: ignore[operator]
        assert await cache.get("a") is None
        assert cache.corrupt == 1 and reported == [1]
        assert cache.size_bytes == 0 and len(cache) == 0
        assert await cache.get("a") is None  # forgotten: not counted twice
        assert cache.corrupt == 1
        await cache.put("a", payload("a"))
        assert await cache.get("a") == payload("a")

    async def reopen_damaged() -> None:
        damage(path_of(tmp_path, "a"))  # type: ignore[operator]
        cache = DiskCache(tmp_path, 10 * FILE)
        assert await cache.get("a") is None
        assert cache.corrupt == 1

    asyncio.run(go())
    asyncio.run(reopen_damaged())
    assert not path_of(tmp_path, "a").exists()


def test_file_deleted_behind_its_back_is_a_miss(tmp_path: Path) -> None:
    async def go() -> None:
        cache = DiskCache(tmp_path, 10 * FILE)
        await cache.put("a", payload("a"))
        path_of(tmp_path, "a").unlink()
        assert await cache.get("a") is None
        assert cache.corrupt == 0 and cache.size_bytes == 0

    asyncio.run(go())


def test_stale_temporary_files_are_removed_at_open(tmp_path: Path) -> None:
    shard = tmp_path / "ab"
    shard.mkdir()
    stale, fresh, foreign = shard / "x.1.tmp", shard / "y.2.tmp", shard / "notes.txt"
    for path in (stale, fresh, foreign):
        path.write_bytes(b"partial")
    os.utime(stale, (1, 1))

    async def go() -> None:
        cache = DiskCache(tmp_path, 10 * FILE)
        await cache.open()
        assert len(cache) == 0

    asyncio.run(go())
    assert not stale.exists()
    assert fresh.exists() and foreign.exists()  # a live write, and a file that is not ours


def test_cancelled_put_still_lands_in_the_index(tmp_path: Path) -> None:
    async def go() -> None:
        cache = DiskCache(tmp_path, 10 * FILE)
        await cache.open()
        task = asyncio.create_task(cache.put("a", payload("a")))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await cache.close()
        assert len(cache) == 1 and cache.size_bytes == FILE

    asyncio.run(go())
    assert path_of(tmp_path, "a").exists()


def test_unusable_directory_degrades_to_no_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_bytes(b"")

    async def go() -> None:
        cache = DiskCache(not_a_dir, 10 * FILE)
        for key in "abc":
            await cache.put(key, payload(key))
            assert await cache.get(key) is None
        assert cache.errors >= 3

    with caplog.at_level(logging.WARNING, logger="voxserve.cache.disk"):
        asyncio.run(go())
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2  # one for the index scan, one for writing: not one per call


def _fail(errno: int, message: str) -> object:
    def fail(*args: object) -> None:
        raise OSError(errno, message)

    return fail


@pytest.mark.parametrize(
    ("target", "name", "error"),
    [
        (os, "fsync", _fail(28, "No space left on device")),
        (Path, "replace", _fail(30, "Read-only file system")),
    ],
)
def test_write_error_degrades_to_a_skipped_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: object, name: str, error: object
) -> None:
    monkeypatch.setattr(target, name, error)

    async def go() -> None:
        cache = DiskCache(tmp_path, 10 * FILE, fsync=True)
        await cache.put("a", payload("a"))
        assert await cache.get("a") is None
        assert cache.errors == 1 and cache.size_bytes == 0

    asyncio.run(go())
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # no temporary file left


def test_read_error_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def go() -> None:
        cache = DiskCache(tmp_path, 10 * FILE)
        await cache.put("a", payload("a"))
        original = Path.open

        def failing_open(self: Path, mode: str = "r", *args: object, **kwargs: object) -> object:
            if mode == "rb":
                raise OSError(5, "Input/output error")
            return original(self, mode, *args, **kwargs)  # type: ignore[call-overload]

        monkeypatch.setattr(Path, "open", failing_open)
        assert await cache.get("a") is None
        assert cache.errors == 1 and cache.corrupt == 0

    asyncio.run(go())


def test_closed_cache_is_inert(tmp_path: Path) -> None:
    async def go() -> None:
        cache = DiskCache(tmp_path, 10 * FILE)
        await cache.put("a", payload("a"))
        await cache.close()
        await cache.put("b", payload("b"))
        assert await cache.get("a") is None
        assert len(cache) == 1

    asyncio.run(go())
