"""Isolated, cached virtual environments that hold build-time tools (never needed at run time).

Converting a model can need heavy tools (TensorFlow, tf2onnx) whose pins clash with voxserve's own
(numpy, protobuf). They live in their own virtualenv under ``<model_dir>/.build``, made with this
interpreter's ``venv`` module and filled by *that* environment's pip, and are reused while the
pinned requirements stay the same.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from voxserve.errors import VoxError

Progress = Callable[[str], None]

# Written last, after a successful install: its presence (and content) marks a usable environment.
_STAMP = "voxserve-requirements.txt"
_OUTPUT_TAIL = 3000


class ModelBuildError(VoxError):
    """A model build step failed (download, install, conversion or smoke test)."""

    code = "model_build_failed"


def _clean_env() -> dict[str, str]:
    """The environment for build tools: no leakage of this process's Python paths or GPUs."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env.pop("VIRTUAL_ENV", None)
    env.update(
        CUDA_VISIBLE_DEVICES="",  # the conversion is CPU work; never grab a GPU for it
        TF_CPP_MIN_LOG_LEVEL="2",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_tool(args: Sequence[str | Path], *, what: str, cwd: Path | None = None) -> str:
    """Run a command and return its output; on failure raise ModelBuildError with its tail."""
    try:
        done = subprocess.run(
            [str(a) for a in args],
            cwd=cwd,
            env=_clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise ModelBuildError(f"{what} failed to start: {exc}") from exc
    if done.returncode != 0:
        tail = done.stdout[-_OUTPUT_TAIL:]
        raise ModelBuildError(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


@dataclass(frozen=True)
class BuildEnv:
    """A virtualenv at ``root`` with exactly ``requirements`` installed (binary wheels only)."""

    root: Path
    requirements: tuple[str, ...]

    @property
    def python(self) -> Path:
        """The environment's interpreter."""
        scripts = "Scripts" if os.name == "nt" else "bin"
        return self.root / scripts / ("python.exe" if os.name == "nt" else "python")

    def _wanted_stamp(self) -> str:
        base = f"# base interpreter: {sys.version.split()[0]} {sys.base_prefix}\n"
        return base + "\n".join(self.requirements) + "\n"

    def is_ready(self) -> bool:
        """Whether the cached environment exists and was built for these requirements."""
        try:
            stamp = (self.root / _STAMP).read_text(encoding="utf-8")
        except OSError:
            return False
        return stamp == self._wanted_stamp() and self.python.exists()

    def ensure(self, progress: Progress) -> None:
        """Create (or reuse) the environment."""
        if self.is_ready():
            progress(f"build environment: reusing {self.root}")
            return
        progress(f"build environment: creating {self.root}")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.parent.mkdir(parents=True, exist_ok=True)
        run_tool([sys.executable, "-m", "venv", self.root], what="creating the build virtualenv")
        progress("build environment: installing " + " ".join(self.requirements))
        # --only-binary: a source build of TensorFlow & co. would be neither quick nor repeatable.
        self.run(
            ["-m", "pip", "install", "--only-binary", ":all:", *self.requirements],
            what="installing build tools",
        )
        (self.root / _STAMP).write_text(self._wanted_stamp(), encoding="utf-8")

    def run(self, args: Sequence[str | Path], *, what: str, cwd: Path | None = None) -> str:
        """Run the environment's Python with ``args``."""
        return run_tool([self.python, *args], what=what, cwd=cwd)

    def versions(self) -> dict[str, str]:
        """Every installed distribution and its version (recorded in manifests)."""
        out = self.run(["-m", "pip", "list", "--format=freeze"], what="listing build tools")
        pairs = (line.split("==", 1) for line in out.splitlines() if "==" in line)
        # Normalized as PyPI does (tensorflow_cpu -> tensorflow-cpu) so keys match requirements.
        versions = {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pairs}
        versions["python"] = self.run(
            ["-c", "import platform; print(platform.python_version())"], what="python version"
        ).strip()
        return versions
