"""The model store: one directory per model under ``settings.model_dir``, each with a manifest.

Layout::

    <model_dir>/
      baker-zh/            the model's files + manifest.json (sha256 of every file)
      .build/              build environments (cached), scratch space and locks

A build happens in scratch space on the same file system and is moved into place by renames, so
a reader never sees a half-built model and a failed build leaves the old one untouched.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from voxserve.errors import (
    InputError,
    ModelCorruptError,
    ModelMissingError,
    ModelOutdatedError,
)
from voxserve.models import baker_zh
from voxserve.models.buildenv import Progress
from voxserve.models.manifest import MANIFEST_NAME, Manifest
from voxserve.settings import Settings

Recipe = Callable[[Path, Path, Path, Progress], Manifest]
"""``build(out, work, build_root, progress)``: builds a model into ``out``; returns its manifest."""

RECIPES: dict[str, Recipe] = {baker_zh.NAME: baker_zh.build}
RECIPE_VERSIONS: dict[str, int] = {baker_zh.NAME: baker_zh.RECIPE_VERSION}
"""The version each recipe builds now (1 where not listed); older builds are rebuilt."""
BUILD_DIR = ".build"


@dataclass(frozen=True)
class ModelInfo:
    """What ``voxserve models list`` shows about one model (cheap: checksums are not checked)."""

    name: str
    installed: bool
    path: Path
    size_bytes: int = 0
    source: str = ""
    license_summary: str = ""
    built_at: str = ""
    outdated: bool = False
    """Built by an older recipe: not used until ``voxserve models build NAME`` rebuilds it."""


def recipe_version(name: str) -> int:
    """The version of ``name``'s recipe that this voxserve builds and needs."""
    return RECIPE_VERSIONS.get(name, 1)


def _ignore(_: str) -> None:
    pass


class ModelStore:
    """Find, verify, describe and build the models under ``settings.model_dir``."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.model_dir.expanduser()

    def known(self) -> list[str]:
        """Every model this store knows how to build."""
        return list(RECIPES)

    def path(self, name: str) -> Path:
        """The directory of model ``name`` (whether or not it exists)."""
        if not name or name.startswith(".") or "/" in name or os.sep in name:
            raise InputError(f"invalid model name {name!r}", param="model")
        return self.root / name

    def installed(self) -> list[str]:
        """Names of the models that have a manifest (not verified)."""
        if not self.root.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.root.iterdir()
            if not entry.name.startswith(".") and (entry / MANIFEST_NAME).is_file()
        )

    def describe(self, name: str) -> ModelInfo:
        """Facts about ``name`` for listing; an unreadable manifest shows as not installed."""
        directory = self.path(name)
        try:
            manifest = Manifest.read(directory)
        except (OSError, ValueError):
            return ModelInfo(name=name, installed=False, path=directory)
        size = sum(f.stat().st_size for f in directory.iterdir() if f.is_file())
        return ModelInfo(
            name=name,
            installed=True,
            path=directory,
            size_bytes=size,
            source=f"{manifest.source.package}=={manifest.source.version}",
            license_summary=manifest.license_summary,
            built_at=manifest.built_at,
            outdated=manifest.recipe_version != recipe_version(name),
        )

    def verify(self, name: str) -> Manifest:
        """Check every file of ``name`` against its manifest and return the manifest.

        Raises ModelMissingError when the model is not installed, ModelOutdatedError when an
        older recipe built it, and ModelCorruptError when its manifest is unreadable or a file
        is missing or altered.
        """
        directory = self.path(name)
        if not (directory / MANIFEST_NAME).is_file():
            raise ModelMissingError(name, f"is not installed in {self.root}")
        try:
            manifest = Manifest.read(directory)
        except (OSError, ValueError) as exc:
            raise ModelCorruptError(name, f"has an unreadable manifest ({exc})") from exc
        if manifest.recipe_version != recipe_version(name):
            raise ModelOutdatedError(name, manifest.recipe_version, recipe_version(name))
        damaged = manifest.damaged_files(directory)
        if damaged:
            raise ModelCorruptError(name, f"is damaged: {', '.join(damaged)}")
        return manifest

    def is_good(self, name: str) -> bool:
        """Whether ``name`` is installed, current and verifies."""
        try:
            self.verify(name)
        except (ModelMissingError, ModelCorruptError, ModelOutdatedError):
            return False
        return True

    def clear_build_cache(self) -> list[Path]:
        """Delete cached build environments (1.6 GB for baker-zh); installed models stay."""
        build_root = self.root / BUILD_DIR
        removed = sorted(build_root.glob("venv-*")) if build_root.is_dir() else []
        for path in removed:
            shutil.rmtree(path, ignore_errors=True)
        return removed

    def build(self, name: str, *, force: bool = False, progress: Progress = _ignore) -> Path:
        """Build model ``name`` unless it is installed and verifies (or ``force``); return its path.

        Raises InputError for an unknown model and ModelBuildError when a build step fails.
        """
        recipe = RECIPES.get(name)
        if recipe is None:
            raise InputError(
                f"unknown model {name!r}; allowed: {', '.join(RECIPES)}", param="model"
            )
        target = self.path(name)
        build_root = self.root / BUILD_DIR
        build_root.mkdir(parents=True, exist_ok=True)
        with _locked(build_root / f"{name}.lock", progress):
            if not force and self.is_good(name):
                progress(f"{name}: already installed and verified at {target}")
                return target
            work = Path(tempfile.mkdtemp(prefix=f"tmp-{name}-", dir=build_root))
            try:
                staged = work / "model"
                staged.mkdir()
                recipe(staged, work, build_root, progress).write(staged)
                _swap_in(staged, target, work)
            finally:
                shutil.rmtree(work, ignore_errors=True)
        progress(f"{name}: installed at {target}")
        return target


@contextmanager
def _locked(path: Path, progress: Progress) -> Iterator[None]:
    """Hold an exclusive lock so that two builds of one model never interleave."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(f"waiting for another build holding {path}")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap_in(staged: Path, target: Path, work: Path) -> None:
    """Replace ``target`` by ``staged`` with renames (``work`` is on the same file system)."""
    old = work / "previous"
    if target.exists():
        target.rename(old)
    try:
        staged.rename(target)
    except OSError:
        if old.exists():
            old.rename(target)  # put the previous model back rather than leave nothing
        raise
