"""The page on a server that requires API keys: it asks for one on 401, keeps it in
localStorage and sends it as a Bearer header from then on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.api.test_auth import voxserve_cli
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[ServerProcess]:
    env = {
        "VOXSERVE_ENGINES": "espeak",
        "VOXSERVE_DEFAULT_VOICE": "espeak-zh",
        "VOXSERVE_REQUIRE_API_KEY": "true",
    }
    srv = ServerProcess(env, workers=1).start()
    yield srv
    srv.stop()


def test_page_asks_for_a_key_and_keeps_it(
    browser: BrowserContext, keyed_server: ServerProcess
) -> None:
    key = voxserve_cli(keyed_server, "keys", "create", "--name", "browser").strip()
    page = browser.new_page()
    try:
        page.goto(keyed_server.url + "/")
        page.wait_for_selector("body[data-loaded='true']")
        expect(page.locator("#key-form")).to_be_visible()
        expect(page.locator("#error")).to_contain_text("missing_api_key")
        assert page.evaluate("() => window.voxserveStats.errors.at(-1).status") == 401

        page.fill("#api-key", "vx-wrong")
        page.click("#key-save")
        expect(page.locator("#key-form")).to_be_visible()  # refused again: asked again
        assert page.evaluate("() => window.voxserveStats.errors.at(-1).code") == "invalid_api_key"

        page.fill("#api-key", key)
        page.click("#key-save")
        expect(page.locator("#voice")).to_have_value("espeak-zh")
        expect(page.locator("#key-form")).to_be_hidden()
        assert page.evaluate("() => localStorage.getItem('voxserve.apiKey')") == key

        page.fill("#text", "你好。")
        page.click("#speak")
        page.wait_for_function(
            "() => { const r = window.voxserveStats.runs.at(-1);"
            " return r && (r.streamEndAt != null || r.error); }"
        )
        assert page.evaluate("() => window.voxserveStats.runs.at(-1).error") is None

        page.reload()  # the key is remembered: no question this time
        page.wait_for_selector("body[data-loaded='true']")
        expect(page.locator("#voice")).to_have_value("espeak-zh")
        expect(page.locator("#key-form")).to_be_hidden()
    finally:
        page.evaluate("() => localStorage.removeItem('voxserve.apiKey')")
        page.close()


def test_browser_websocket_carries_the_key_in_a_subprotocol(
    browser: BrowserContext, keyed_server: ServerProcess
) -> None:
    key = voxserve_cli(keyed_server, "keys", "create", "--name", "ws").strip()
    page = browser.new_page()
    try:
        page.goto(keyed_server.url + "/")
        script = """([key, withKey]) => new Promise((resolve) => {
            const url = location.origin.replace('http', 'ws') + '/v1/stream';
            const offered = withKey ? ['voxserve', 'voxserve.bearer.' + key] : ['voxserve'];
            const ws = new WebSocket(url, offered);
            ws.onopen = () => ws.send(JSON.stringify({type: 'config', voice: 'espeak-zh'}));
            ws.onmessage = (event) => {
                ws.close();
                resolve({protocol: ws.protocol, first: event.data});
            };
            ws.onclose = (event) => resolve({closed: event.code});
        })"""
        opened = page.evaluate(script, [key, True])
        assert opened["protocol"] == "voxserve" and '"ready"' in opened["first"]
        assert "closed" in page.evaluate(script, [key, False])  # no key: no session
    finally:
        page.close()
