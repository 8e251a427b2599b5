"""schemathesis against the live OpenAPI schema of a real server (espeak, one worker): every
operation, a fixed number of examples and a fixed seed; no 5xx, and every answer (status,
content type, body) as the schema declares it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerProcess

SEED = 20260101
EXAMPLES = 100
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    log = tmp_path_factory.mktemp("fuzz") / "server.log"
    env = {"VOXSERVE_ENGINES": "espeak", "VOXSERVE_DEFAULT_VOICE": "espeak-zh"}
    srv = ServerProcess(env, workers=1, log=log).start()
    yield srv
    srv.stop()


def _st() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("schemathesis is not installed (requirements-dev.lock)")
    return found


def test_every_operation_conforms(server: ServerProcess, tmp_path: Path) -> None:
    command = [
        _st(),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=240, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "generated" in done.stdout and " failures" not in done.stdout.lower()
