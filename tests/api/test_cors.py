"""CORS: off by default; with origins set, preflights and refusals carry the headers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import ServerProcess

ORIGIN = "https://app.example"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    env = {
        "VOXSERVE_ENGINES": "espeak",
        "VOXSERVE_DEFAULT_VOICE": "espeak-zh",
        "VOXSERVE_CORS_ORIGINS": f"{ORIGIN}, https://other.example/",
        "VOXSERVE_REQUIRE_API_KEY": "true",
    }
    srv = ServerProcess(env, workers=1).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def plain_server() -> Iterator[ServerProcess]:
    srv = ServerProcess({"VOXSERVE_ENGINES": "espeak", "VOXSERVE_DEFAULT_VOICE": "espeak-zh"}, 1)
    yield srv.start()
    srv.stop()


def test_preflight_from_an_allowed_origin(server: ServerProcess) -> None:
    r = httpx.options(f"{server.url}/v1/tts", headers=PREFLIGHT)
    assert r.status_code == 200  # no key needed: browsers never send one on a preflight
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in r.headers


def test_preflight_from_another_origin_is_refused(server: ServerProcess) -> None:
    r = httpx.options(
        f"{server.url}/v1/tts", headers={**PREFLIGHT, "Origin": "https://evil.example"}
    )
    assert r.status_code == 400 and "access-control-allow-origin" not in r.headers


def test_refusals_carry_cors_headers(server: ServerProcess) -> None:
    """A cross-origin page can read the 401 and ask its user for a key."""
    r = httpx.get(f"{server.url}/v1/voices", headers={"Origin": ORIGIN})
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == ORIGIN
    exposed = r.headers["access-control-expose-headers"].lower()
    assert "retry-after" in exposed and "x-request-id" in exposed


def test_off_by_default(plain_server: ServerProcess) -> None:
    r = httpx.get(f"{plain_server.url}/v1/voices", headers={"Origin": ORIGIN})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    preflight = httpx.options(f"{plain_server.url}/v1/tts", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in preflight.headers
