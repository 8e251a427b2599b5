from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerProcess


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server with every engine, two workers, and short limits for the bad-input tests.

    Its cache is off: these tests measure synthesis under load, which repeated texts served
    from the cache would hide (tests/api/test_cache.py covers the cache).
    """
    log = Path(tmp_path_factory.mktemp("server")) / "server.log"
    env = {
        "VOXSERVE_UPLOAD_TIMEOUT_S": "2",
        "VOXSERVE_MAX_BODY_BYTES": "65536",
        "VOXSERVE_CACHE_BACKEND": "off",
    }
    srv = ServerProcess(env, workers=2, log=log).start()
    yield srv
    srv.stop()
