"""Both lexicon stores (SQLite, real Redis): versions, owners kept apart, the count limit,
and the service's validation and name resolution on top."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.jobs.conftest import redis_settings
from tests.support.redis import redis_server
from voxserve.errors import InvalidLexiconError, InvalidPinyinError, LexiconNotFoundError
from voxserve.lexicons import open_store
from voxserve.lexicons.base import LexiconStore
from voxserve.lexicons.service import LexiconService
from voxserve.settings import Settings
from voxserve.text.lexicon import Pronunciation

__all__ = ["redis_server"]

BANK = [{"grapheme": "行长", "pinyin": "xing2 chang2"}, {"grapheme": "W3C", "alias": "万维网"}]


Scenario = Callable[[LexiconStore], Awaitable[None]]


@pytest.fixture(params=["sqlite", "redis"])
def run(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Scenario], None]:
    """Runs a scenario on the backend's store, opened for it and closed after."""
    if request.param == "sqlite":
        settings = Settings(data_dir=tmp_path)
    else:
        settings = redis_settings(request.getfixturevalue("redis_server"), tmp_path)

    async def scenario(body: Scenario) -> None:
        store = await open_store(settings)
        try:
            await body(store)
        finally:
            await store.close()

    return lambda body: asyncio.run(scenario(body))


def service(store: LexiconStore, **limits: int) -> LexiconService:
    return LexiconService(Settings(**limits), store)  # type: ignore[arg-type]


def test_versions_go_up_and_owners_are_apart(run: Callable[[Scenario], None]) -> None:
    run(_versions_go_up_and_owners_are_apart)


async def _versions_go_up_and_owners_are_apart(store: LexiconStore) -> None:
    entries = (Pronunciation("行长", pinyin=("xing2", "chang2")),)
    first = await store.put("key:a", "bank", entries, max_count=10)
    assert first is not None and first.version == 1
    second = await store.put("key:a", "bank", entries[:1], max_count=10)
    assert second is not None and second.version == 2
    assert second.created_at == first.created_at and second.updated_at >= first.updated_at
    assert await store.get("key:b", "bank") is None
    assert [s.name for s in await store.all("key:a")] == ["bank"]
    assert await store.all("key:b") == []
    got = await store.get("key:a", "bank")
    assert got is not None and got.entries == entries and got.version == 2
    assert await store.delete("key:a", "bank") and not await store.delete("key:a", "bank")


def test_count_limit_is_checked_with_the_write(run: Callable[[Scenario], None]) -> None:
    run(_count_limit_is_checked_with_the_write)


async def _count_limit_is_checked_with_the_write(store: LexiconStore) -> None:
    entries = (Pronunciation("好", pinyin=("hao3",)),)
    results = await asyncio.gather(
        *(store.put("", f"l{i}", entries, max_count=3) for i in range(6))
    )
    assert sum(r is not None for r in results) == 3
    names = [s.name for s in await store.all("")]
    assert len(names) == 3
    replaced = await store.put("", names[0], entries, max_count=3)  # replacing is not adding
    assert replaced is not None and replaced.version == 2


def test_service_checks_entries_names_and_limits(run: Callable[[Scenario], None]) -> None:
    run(_service_checks_entries_names_and_limits)


async def _service_checks_entries_names_and_limits(store: LexiconStore) -> None:
    lexicons = service(store, lexicon_max_entries=3, lexicons_per_owner=2)
    stored = await lexicons.put(None, "bank", BANK, create=True)
    assert stored.owner == "" and stored.version == 1
    with pytest.raises(InvalidLexiconError, match="exists") as exists:
        await lexicons.put(None, "bank", BANK, create=True)
    assert exists.value.param == "name"
    bad = [
        ("bad name!", BANK, "name"),
        ("x", [], "entries"),
        ("x", BANK * 2, "entries"),  # over 3 entries
        ("x", [{"grapheme": "行", "pinyin": "hang2", "alias": "航"}], "entries[0]"),
        (
            "x",
            [{"grapheme": "a", "alias": "b"}, {"grapheme": "a", "alias": "c"}],
            "entries[1].grapheme",
        ),
        ("x", [{"grapheme": "\u0000", "alias": "b"}], "entries[0].grapheme"),
        ("x", [{"grapheme": "a", "alias": "[b](bi3)"}], "entries[0].alias"),
    ]
    for name, entries, param in bad:
        with pytest.raises(InvalidLexiconError) as refused:
            await lexicons.put(None, name, entries)
        assert refused.value.param == param, (name, entries, refused.value.message)
    for pinyin in ("hxng2", "hang2 zhang3 ma5", "hang"):
        with pytest.raises(InvalidPinyinError) as syllable:
            await lexicons.put(None, "x", [{"grapheme": "行长", "pinyin": pinyin}])
        assert syllable.value.param == "entries[0].pinyin"
    await lexicons.put(None, "second", BANK[:1])
    with pytest.raises(InvalidLexiconError, match="at most 2 lexicons"):
        await lexicons.put(None, "third", BANK[:1])


def test_resolve_merges_in_the_order_named(run: Callable[[Scenario], None]) -> None:
    run(_resolve_merges_in_the_order_named)


async def _resolve_merges_in_the_order_named(store: LexiconStore) -> None:
    lexicons = service(store)
    await lexicons.put("key:a", "one", [{"grapheme": "行长", "pinyin": "xing2 chang2"}])
    await lexicons.put("key:a", "two", [{"grapheme": "行长", "pinyin": "hang2 zhang3"}])
    merged = await lexicons.resolve(["one", "two"], "key:a")
    assert merged.names == ("one", "two")
    assert merged.by_grapheme["行长"].pinyin == ("hang2", "zhang3")  # the later wins
    assert (await lexicons.resolve(["two", "one"], "key:a")).entries[0].pinyin == (
        "xing2",
        "chang2",
    )
    with pytest.raises(LexiconNotFoundError) as missing:
        await lexicons.resolve(["one"], "key:b")  # another key's lexicon does not exist for it
    assert missing.value.param == "lexicons"
    with pytest.raises(InvalidLexiconError, match="at most 8"):
        await lexicons.resolve(["one"] * 9, "key:a")
    assert not await lexicons.resolve([], "key:a")
