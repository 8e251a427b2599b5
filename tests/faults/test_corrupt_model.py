"""A damaged model file: found by its checksum, reported with the command that rebuilds it.

The server does not start on a damaged model (a worker refuses to load it, so the pool cannot
start): serving without a voice it was configured for would fail every request for that voice
instead, later and less clearly. ``voxserve models verify`` names the damaged file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.support import log_text
from tests.support.server import ServerProcess
from voxserve.models import ModelStore
from voxserve.settings import Settings

MODEL = "baker-zh"
DAMAGED = "fastspeech2.onnx"
REBUILD = f"voxserve models build {MODEL}"


@pytest.fixture(scope="module")
def damaged_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the model store whose baker-zh has 16 bytes flipped in the middle of a file."""
    source = ModelStore(Settings()).path(MODEL)
    if not source.is_dir():
        pytest.skip(f"{MODEL} is not built (run: {REBUILD})")
    root = tmp_path_factory.mktemp("models")
    shutil.copytree(source, root / MODEL)
    target = root / MODEL / DAMAGED
    with target.open("r+b") as handle:
        handle.seek(target.stat().st_size // 2)
        chunk = handle.read(16)
        handle.seek(-len(chunk), os.SEEK_CUR)
        handle.write(bytes(b ^ 0xFF for b in chunk))
    return root


def test_models_verify_names_the_damaged_file(damaged_models: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "voxserve.cli", "models", "verify", MODEL],
        env={**os.environ, "VOXSERVE_MODEL_DIR": str(damaged_models)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result
    assert f"model '{MODEL}' is damaged: {DAMAGED}" in result.stderr
    assert REBUILD in result.stderr


@pytest.mark.parametrize("engines", ["baker-zh,espeak", "auto"])
def test_server_refuses_to_start_on_a_damaged_model(
    damaged_models: Path, tmp_path: Path, engines: str
) -> None:
    log = tmp_path / "server.log"
    env = {"VOXSERVE_MODEL_DIR": str(damaged_models), "VOXSERVE_ENGINES": engines}
    server = ServerProcess(env, workers=1, log=log)
    with pytest.raises(RuntimeError, match="server exited"):
        server.start()
    output = log_text(log)
    assert f"model '{MODEL}' is damaged: {DAMAGED}" in output
    assert REBUILD in output
    assert "a worker failed to start" in output
