"""The ``manifest.json`` that describes one built model: where it came from and what it holds."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
SCHEMA_VERSION = 1


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks (model files are tens of megabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Source:
    """The registry package a model's weights were taken from."""

    package: str
    version: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """Everything known about one built model. ``files`` maps file name to SHA-256."""

    name: str
    source: Source
    files: dict[str, str]
    build_tools: dict[str, str]
    license_summary: str
    license_file: str
    built_at: str
    build_seconds: float
    extra: dict[str, Any] = field(default_factory=dict)
    recipe_version: int = 1
    """The version of the recipe that built the model (1 for builds made before recipes had
    versions): a model built by an older recipe is rebuilt, never used silently."""
    schema: int = SCHEMA_VERSION

    def to_json(self) -> str:
        """The manifest as stable, human-readable JSON."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    def write(self, directory: Path) -> Path:
        """Write ``manifest.json`` into ``directory`` and return its path."""
        path = directory / MANIFEST_NAME
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        """Read ``directory/manifest.json``.

        Raises OSError when it cannot be read and ValueError (json errors included) when it is not
        a manifest of this schema; the store turns both into model errors.
        """
        raw = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or raw.get("schema") != SCHEMA_VERSION:
            raise ValueError("not a voxserve model manifest of schema 1")
        try:
            source = Source(**raw.pop("source"))
            return cls(source=source, **raw)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed manifest: {exc}") from exc

    def damaged_files(self, directory: Path) -> list[str]:
        """Names of listed files that are absent or whose checksum differs (empty: all good)."""
        bad = []
        for name, expected in sorted(self.files.items()):
            path = directory / name
            try:
                actual = sha256_file(path)
            except OSError:
                bad.append(f"{name} (missing or unreadable)")
                continue
            if actual != expected:
                bad.append(f"{name} (checksum mismatch)")
        return bad
