"""Wyoming has no authentication: with API keys required it is served only when allowed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from voxserve.settings import Settings


def test_keys_without_consent_refuse_wyoming() -> None:
    with pytest.raises(ValidationError, match="WYOMING_ALLOW_UNAUTHENTICATED"):
        Settings(require_api_key=True, wyoming_port=10200)
    allowed = Settings(require_api_key=True, wyoming_port=10200, wyoming_allow_unauthenticated=True)
    assert allowed.wyoming_port == 10200
    assert Settings(require_api_key=True).wyoming_port == 0  # off: nothing to refuse


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--wyoming-port", "10299"], {"VOXSERVE_REQUIRE_API_KEY": "true"}, "no authentication"),
        (["--wyoming-port", "10299", "--ray"], {}, "not served under --ray"),
        ([], {"VOXSERVE_WYOMING_PORT": "many"}, "wyoming_port"),
    ],
)
def test_serve_says_why_it_will_not_start(args: list[str], env: dict[str, str], says: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "voxserve.cli", "serve", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert says in done.stderr and "Traceback" not in done.stderr
