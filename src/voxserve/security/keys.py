"""API keys: random ``vx-...`` tokens, stored only as SHA-256 digests in ``data_dir``.

The store is an SQLite file (``keys.sqlite3``) so that the CLI can create and revoke keys while
the server runs: the server notices a change of the file and reloads its in-memory copy, so a
revoked key stops working at its next request.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from voxserve.errors import InputError

TOKEN_PREFIX = "vx-"
TOKEN_BYTES = 32
TOUCH_INTERVAL_S = 60.0
RELOAD_INTERVAL_S = 5.0
"""Reload at least this often even if the file looks unchanged (a change within one mtime tick
that keeps the size would otherwise go unseen)."""
"""``last_used`` is written at most this often per key (a write per request would be waste)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    hint TEXT NOT NULL,
    created REAL NOT NULL,
    last_used REAL,
    revoked REAL
)
"""


class UnknownKeyError(InputError):
    code = "unknown_key"

    def __init__(self, key_id: str) -> None:
        super().__init__(f"no API key with id {key_id!r} (see: voxserve keys list)", param="id")


@dataclass(frozen=True)
class ApiKey:
    """What is known about a key; never the key itself."""

    id: str
    name: str
    hint: str
    created: float
    last_used: float | None
    revoked: float | None

    @property
    def active(self) -> bool:
        return self.revoked is None


def digest(token: str) -> str:
    """SHA-256 of a token, hex.

    A fast unsalted hash is enough here: tokens carry 256 random bits, so there is nothing to
    guess from a stolen digest; slow salted hashes exist for low-entropy passwords.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class KeyStore:
    """Create, list, revoke and verify keys in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._loaded = 0.0
        self._active: list[tuple[str, str]] = []  # (digest, id) of every active key
        self._touched: dict[str, float] = {}

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        db = sqlite3.connect(self.path, timeout=10.0)
        try:
            if fresh:
                self.path.chmod(0o600)  # digests only, but nobody else needs to read them
            db.execute(_SCHEMA)
            with db:
                yield db
        finally:
            db.close()

    def create(self, name: str) -> tuple[ApiKey, str]:
        """A new key named ``name``: its record, and the token (shown once, never stored)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        key = ApiKey(
            "key_" + secrets.token_hex(6), name, token[:7] + "...", time.time(), None, None
        )
        with self._db() as db:
            db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                (key.id, key.name, digest(token), key.hint, key.created),
            )
        return key, token

    def all(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT id, name, hint, created, last_used, revoked FROM api_keys ORDER BY created"
            ).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key for good (its digest is erased); raises UnknownKeyError."""
        with self._db() as db:
            changed = db.execute(
                "UPDATE api_keys SET revoked = ?, digest = '' WHERE id = ? AND revoked IS NULL",
                (time.time(), key_id),
            ).rowcount
        found = next((k for k in self.all() if k.id == key_id), None)
        if found is None or (not changed and found.active):
            raise UnknownKeyError(key_id)
        return found

    def verify(self, token: str) -> str | None:
        """The id of the active key ``token`` is, or None. Every stored digest is compared
        (constant time each, no early exit), so timing tells nothing about which came close."""
        self._reload_if_changed()
        wanted = digest(token)
        found: str | None = None
        for stored, key_id in self._active:
            if hmac.compare_digest(stored, wanted):
                found = key_id
        return found

    def touch_due(self, key_id: str, now: float) -> bool:
        """Whether ``last_used`` of ``key_id`` should be written now (marks it as written)."""
        if now - self._touched.get(key_id, 0.0) < TOUCH_INTERVAL_S:
            return False
        self._touched[key_id] = now
        return True

    def touch(self, key_id: str, when: float) -> None:
        """Record that ``key_id`` was used at ``when`` (blocking: call it off the event loop)."""
        with self._db() as db:
            db.execute("UPDATE api_keys SET last_used = ? WHERE id = ?", (when, key_id))

    def _reload_if_changed(self) -> None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._active = None, []
            return
        stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        now = time.monotonic()
        if stamp == self._stamp and now - self._loaded < RELOAD_INTERVAL_S:
            return
        with self._db() as db:
            rows = db.execute("SELECT digest, id FROM api_keys WHERE revoked IS NULL").fetchall()
        self._active = [(str(d), str(i)) for d, i in rows]
        self._stamp, self._loaded = stamp, now


def store_for(data_dir: Path) -> KeyStore:
    """The key store of a data directory."""
    return KeyStore(data_dir / "keys.sqlite3")
