"""The API key store and its command line: hashed at rest, shown once, revocable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from voxserve.cli import cli
from voxserve.security.keys import TOKEN_PREFIX, KeyStore, UnknownKeyError, digest, store_for


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return store_for(tmp_path)


def test_created_keys_verify_and_are_stored_hashed(store: KeyStore) -> None:
    key, token = store.create("alice")
    assert token.startswith(TOKEN_PREFIX) and len(token) >= len(TOKEN_PREFIX) + 43  # 32 bytes
    assert store.verify(token) == key.id
    assert store.verify(token + "x") is None and store.verify("") is None
    raw = store.path.read_bytes()
    assert token.encode() not in raw and digest(token).encode() in raw
    assert store.path.stat().st_mode & 0o077 == 0


def test_two_keys_are_told_apart(store: KeyStore) -> None:
    a, token_a = store.create("a")
    b, token_b = store.create("b")
    assert token_a != token_b
    assert (store.verify(token_a), store.verify(token_b)) == (a.id, b.id)


def test_revoked_keys_stop_verifying_and_lose_their_digest(store: KeyStore) -> None:
    key, token = store.create("bob")
    assert store.verify(token) == key.id
    revoked = store.revoke(key.id)
    assert not revoked.active
    assert store.verify(token) is None
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT digest FROM api_keys").fetchone() == ("",)
    assert store.revoke(key.id).id == key.id  # revoking twice is harmless
    with pytest.raises(UnknownKeyError):
        store.revoke("key_nope")


def test_a_second_store_on_the_same_file_sees_changes(store: KeyStore) -> None:
    """The server's store notices keys created and revoked by the CLI's."""
    server_side = KeyStore(store.path)
    assert server_side.verify("vx-nothing") is None
    key, token = store.create("later")
    assert server_side.verify(token) == key.id
    store.revoke(key.id)
    assert server_side.verify(token) is None


def test_last_used_is_written_at_most_once_a_minute(store: KeyStore) -> None:
    key, _ = store.create("c")
    assert store.touch_due(key.id, 1000.0)
    assert not store.touch_due(key.id, 1030.0)
    assert store.touch_due(key.id, 1061.0)
    store.touch(key.id, 1061.0)
    assert store.all()[0].last_used == 1061.0


def test_cli_create_list_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"VOXSERVE_DATA_DIR": str(tmp_path)}
    created = runner.invoke(cli, ["keys", "create", "--name", "ci bot"], env=env)
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith(TOKEN_PREFIX) and "not shown again" in created.stderr
    listed = runner.invoke(cli, ["keys", "list"], env=env)
    assert listed.exit_code == 0 and "ci bot" in listed.stdout and "active" in listed.stdout
    assert token not in listed.stdout and token[:7] in listed.stdout
    key_id = store_for(tmp_path).all()[0].id
    revoked = runner.invoke(cli, ["keys", "revoke", key_id], env=env)
    assert revoked.exit_code == 0 and key_id in revoked.stdout
    assert "revoked" in runner.invoke(cli, ["keys", "list"], env=env).stdout
    assert store_for(tmp_path).verify(token) is None


def test_cli_revoke_unknown_id_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["keys", "revoke", "key_nope"], env={"VOXSERVE_DATA_DIR": str(tmp_path)}
    )
    assert isinstance(result.exception, UnknownKeyError)
