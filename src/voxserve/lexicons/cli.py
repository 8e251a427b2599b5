"""``voxserve lexicons``: manage pronunciation lexicons in the service's store, as the API does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from voxserve.errors import InputError
from voxserve.lexicons import open_store
from voxserve.lexicons.service import LexiconService, detail, summary
from voxserve.settings import Settings

T = TypeVar("T")

_KEY = click.option(
    "--key",
    "key_id",
    default=None,
    metavar="ID",
    help="Act on the lexicons of API key ID (key_...); without it, the shared ones (keys off).",
)


def _run(action: Callable[[LexiconService], Awaitable[T]]) -> T:
    async def run() -> T:
        settings = Settings()
        store = await open_store(settings)
        try:
            return await action(LexiconService(settings, store))
        except InputError as exc:
            where = f"{exc.param}: " if exc.param else ""
            raise click.ClickException(f"{where}{exc.message}") from None
        finally:
            await store.close()

    return asyncio.run(run())


def _owner(key_id: str | None) -> str | None:
    return f"key:{key_id}" if key_id else None


@click.group()
def lexicons() -> None:
    """Pronunciation lexicons: grapheme -> pinyin or alias, named by requests (lexicons: [...])."""


@lexicons.command("list")
@_KEY
def lexicons_list(key_id: str | None) -> None:
    """Every lexicon: name, version, entries, last change."""
    for item in _run(lambda s: s.all(_owner(key_id))):
        row = summary(item)
        click.echo(f"{row['name']:<32} v{row['version']:<5} {row['entries_count']:>6} entries")


@lexicons.command("show")
@click.argument("name")
@_KEY
def lexicons_show(name: str, key_id: str | None) -> None:
    """A lexicon as JSON (what ``put`` reads)."""
    stored = _run(lambda s: s.get(_owner(key_id), name))
    click.echo(json.dumps(detail(stored), ensure_ascii=False, indent=1))


@lexicons.command("put")
@click.argument("name")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@_KEY
def lexicons_put(name: str, source: Any, key_id: str | None) -> None:
    """Create or replace NAME from SOURCE (a JSON file, or - for standard input): a list of
    entries, or an object with "entries", each {"grapheme", "pinyin"} or {"grapheme", "alias"}."""
    try:
        raw = json.load(source)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{source.name} is not JSON: {exc}") from None
    entries = raw.get("entries") if isinstance(raw, dict) else raw
    stored = _run(lambda s: s.put(_owner(key_id), name, entries))
    click.echo(f"{stored.name} v{stored.version}: {len(stored.entries)} entries", err=True)


@lexicons.command("delete")
@click.argument("name")
@_KEY
def lexicons_delete(name: str, key_id: str | None) -> None:
    """Delete NAME."""
    _run(lambda s: s.delete(_owner(key_id), name))
    click.echo(f"deleted {name}", err=True)
