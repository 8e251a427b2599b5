from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerProcess


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server with every engine, two workers, and short limits for the bad-input tests."""
    log = Path(tmp_path_factory.mktemp("server")) / "server.log"
    env = {"VOXSERVE_UPLOAD_TIMEOUT_S": "2", "VOXSERVE_MAX_BODY_BYTES": "65536"}
    srv = ServerProcess(env, workers=2, log=log).start()
    yield srv
    srv.stop()
