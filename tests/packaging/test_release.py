"""voxserve as a user installs it: a wheel in a fresh venv outside the checkout, an empty model
directory, the model built by the installed command (``deploy/docker/build-release``, the
script the container image runs), then ``voxserve say`` and a served request."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _env(**extra: str) -> dict[str, str]:
    """This environment without the checkout's: nothing may come from the source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOXSERVE_", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    return {**env, **extra}


def test_build_makes_a_wheel_and_an_sdist(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("voxserve-*.whl")
    (sdist,) = tmp_path.glob("voxserve-*.tar.gz")
    names = zipfile.ZipFile(wheel).namelist()
    assert "voxserve/web/index.html" in names  # the page is served from inside the package
    assert any(n.endswith("entry_points.txt") for n in names)
    assert sdist.stat().st_size > 0


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prefix = tmp_path_factory.mktemp("release")
    done = subprocess.run(
        [str(ROOT / "deploy" / "docker" / "build-release"), "--slim", str(prefix)],
        cwd=prefix,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not (prefix / "models" / ".build").exists()  # --slim: no conversion environment left
    return prefix


def _voxserve(
    release: Path, *args: str, models: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(release / "venv" / "bin" / "voxserve"), *args],
        cwd=release,
        env=_env(VOXSERVE_MODEL_DIR=str(models or release / "models")),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_installed_command_speaks_mandarin(release: Path) -> None:
    out = release / "hello.wav"
    done = _voxserve(release, "say", "你好，欢迎使用语音合成服务。", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "zh-baker" in done.stderr and out.read_bytes()[:4] == b"RIFF"
    located = subprocess.run(
        [
            str(release / "venv" / "bin" / "python"),
            "-c",
            "import voxserve; print(voxserve.__file__)",
        ],
        cwd=release,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "site-packages" in located.stdout and str(ROOT) not in located.stdout


def test_without_a_model_it_says_which_command_builds_it(release: Path, tmp_path: Path) -> None:
    done = _voxserve(release, "say", "你好。", "-o", str(tmp_path / "a.wav"), models=tmp_path)
    assert "build it once with: voxserve models build baker-zh" in done.stderr


@pytest.fixture
def served(release: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(release / "venv" / "bin" / "voxserve"),
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=release,
        env=_env(
            VOXSERVE_MODEL_DIR=str(release / "models"), VOXSERVE_DATA_DIR=str(release / "data")
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not _ready(url):
            assert process.poll() is None and time.monotonic() < deadline, "not ready"
            time.sleep(0.3)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_installed_server_answers(served: str) -> None:
    page = httpx.get(f"{served}/", timeout=10)
    assert page.status_code == 200 and "<html" in page.text.lower()
    answer = httpx.post(
        f"{served}/v1/tts", json={"text": "你好，欢迎。", "format": "wav"}, timeout=60
    )
    assert answer.status_code == 200 and answer.content[:4] == b"RIFF"
    assert answer.headers["x-voice"] == "zh-baker"
