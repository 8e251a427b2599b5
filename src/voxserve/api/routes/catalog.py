"""What the service offers: voices, emotions, models."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from voxserve.api import deps
from voxserve.api.service import SpeechService
from voxserve.prosody.emotions import EMOTIONS, RENDERED
from voxserve.types import AudioFormat

router = APIRouter()
Service = Annotated[SpeechService, Depends(deps.speech_service)]


@router.get("/v1/voices", summary="Voices")
async def voices(service: Service) -> dict[str, Any]:
    default = service.planner.catalog.resolve(None).id
    return {
        "default": default,
        "voices": [
            {
                "id": v.id,
                "name": v.name,
                "engine": v.engine,
                "language": v.language,
                "gender": v.gender,
                "sample_rate": v.sample_rate,
                "description": v.description,
                "emotion_rendering": v.emotion_rendering,
                "timestamps": v.timestamps,
            }
            for v in service.planner.catalog.all()
        ],
        "openai_aliases": dict(service.settings.openai_voices),
    }


@router.get("/v1/emotions", summary="Emotions and their prosody")
async def emotions(service: Service) -> dict[str, Any]:
    voices = service.planner.catalog.all()
    return {
        "intensity": {"min": 0.0, "max": 2.0, "default": 1.0},
        # Voices whose model renders the emotions itself; the others re-synthesize after it.
        "rendered_by_model": [v.id for v in voices if v.emotion_rendering == "model"],
        "emotions": [
            {
                "id": e.name,
                "label_zh": e.label_zh,
                "description": e.description,
                "rate": e.prosody.rate,
                "pitch_semitones": e.prosody.pitch,
                "pitch_range": e.prosody.pitch_range,
                "gain_db": e.prosody.gain_db,
                "pause_scale": e.prosody.pause_scale,
                # What voices were measured to render (the preset is what is asked for).
                "measured": {
                    voice: asdict(table[e.name])
                    for voice, table in RENDERED.items()
                    if e.name in table
                },
            }
            for e in EMOTIONS.values()
        ],
    }


@router.get("/v1/models", summary="Models (OpenAI list shape)")
async def models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": m, "object": "model", "created": 0, "owned_by": "voxserve"}
            for m in deps.OPENAI_MODELS
        ],
    }


@router.get("/v1/config", summary="Limits and choices a client needs")
async def config(service: Service) -> dict[str, Any]:
    return {
        "max_text_chars": service.settings.max_text_chars,
        "max_job_chars": service.settings.max_job_chars,
        "formats": [f.value for f in AudioFormat],
        "default_voice": service.planner.catalog.resolve(None).id,
        "speed": {"min": 0.25, "max": 4.0, "default": 1.0},
        "intensity": {"min": 0.0, "max": 2.0, "default": 1.0},
    }
