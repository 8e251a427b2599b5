"""Settings: one frozen object, read once from ``VOXSERVE_*`` environment variables and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_model_dir() -> Path:
    return Path.home() / ".cache" / "voxserve" / "models"


class Settings(BaseSettings):
    """Every tunable of voxserve. Build it once (``Settings()``) and pass it down; never mutate."""

    model_config = SettingsConfigDict(env_prefix="VOXSERVE_", frozen=True, extra="ignore")

    model_dir: Path = Field(default_factory=_default_model_dir)
    """Where built model assets live (``voxserve models build`` writes here)."""

    default_voice: str = "zh-baker"
    """Voice used when a request names none."""

    default_voices: dict[str, str] = {"zh": "zh-baker", "en": "en-joe"}
    """Voice that speaks a language run the requested voice cannot (e.g. English words in Chinese)."""

    engines: str = "auto"
    """Comma-separated engine names to load, or ``auto`` for every engine whose assets are present."""

    engine_threads: int = Field(default=1, ge=1, le=64)
    """Intra-op threads per engine instance (one engine instance per worker process)."""

    max_text_chars: int = Field(default=5000, ge=1)
    """Longest text accepted for one synchronous request or CLI call."""

    max_unit_chars: int = Field(default=80, ge=8, le=400)
    """Longest text unit handed to an engine; longer sentences are split at clauses, then words."""
