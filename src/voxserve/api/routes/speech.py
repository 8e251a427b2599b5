"""Speech synthesis: the native ``/v1/tts`` and the OpenAI-compatible ``/v1/audio/speech``."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from voxserve.api import deps
from voxserve.api.disconnect import ClientDisconnectedError, unless_disconnected
from voxserve.api.schemas import SpeechBody, TTSBody, audio_format
from voxserve.api.service import SpeechAudio, SpeechService
from voxserve.api.streaming import AudioStream, openai_sse, progress_sse, started
from voxserve.audio.encode import content_type
from voxserve.errors import InputError
from voxserve.prosody.instructions import emotion_from_instructions
from voxserve.settings import Settings
from voxserve.text.lexicon import Lexicon
from voxserve.text.ssml import is_ssml
from voxserve.types import SynthesisRequest

router = APIRouter(dependencies=[Depends(deps.require_json)])
Service = Annotated[SpeechService, Depends(deps.speech_service)]
AUDIO_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"audio/*": {}, "text/event-stream": {}}, "description": "The audio."}
}
TTS_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"audio/*": {}, "text/event-stream": {}, "application/json": {}},
        "description": "The audio; with timestamps, JSON with the audio and its timestamps.",
    }
}
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

OPENAI_SAMPLE_RATE = 24000
"""OpenAI's speech endpoint answers at 24 kHz in every format (pcm included)."""


def _audio_response(audio: SpeechAudio) -> Response:
    return Response(
        audio.data,
        media_type=content_type(audio.format),
        headers={
            "X-Audio-Duration": f"{audio.duration:.3f}",
            "X-Voice": audio.voice,
            "X-Engine": audio.engine,
            "X-Sample-Rate": str(audio.sample_rate),
            "X-Cache": audio.cache,
        },
    )


async def _whole(request: Request, service: SpeechService, synth: SynthesisRequest) -> Response:
    try:
        audio = await unless_disconnected(request, service.synthesize(synth))
    except ClientDisconnectedError:
        return Response(status_code=499)
    return _audio_response(audio)


async def _whole_timed(
    request: Request, service: SpeechService, synth: SynthesisRequest
) -> Response:
    try:
        timed = await unless_disconnected(request, service.synthesize_timed(synth))
    except ClientDisconnectedError:
        return Response(status_code=499)
    return JSONResponse(timed.as_json())


def _stream_headers(stream: AudioStream) -> dict[str, str]:
    return {
        **STREAM_HEADERS,
        "X-Voice": stream.plan.voice.id,
        "X-Engine": stream.plan.voice.engine,
        "X-Sample-Rate": str(stream.sample_rate),
    }


async def _streamed(
    service: SpeechService, stream: AudioStream, events: AsyncGenerator[bytes, None] | None
) -> StreamingResponse:
    body = await started(events or stream.chunks(), service.metrics)
    media = "text/event-stream" if events else content_type(stream.format)
    return StreamingResponse(body, media_type=media, headers=_stream_headers(stream))


@router.post("/v1/tts", responses=TTS_RESPONSES, summary="Speak text (native API)")
async def tts(body: TTSBody, request: Request, service: Service) -> Response:
    synth = body.synthesis_request(body.text, await deps.lexicon_for(request, body.lexicons))
    if not body.stream:
        if body.timestamps:
            return await _whole_timed(request, service, synth)
        return await _whole(request, service, synth)
    stream = await service.open_stream(synth, timestamps=body.timestamps)
    events = progress_sse(stream) if body.stream_format == "sse" else None
    return await _streamed(service, stream, events)


def _openai_voice(settings: Settings, voice: str) -> str:
    return settings.openai_voices.get(voice.lower(), voice)


def _openai_request(body: SpeechBody, settings: Settings, lexicon: Lexicon) -> SynthesisRequest:
    if body.model not in deps.OPENAI_MODELS:
        raise InputError(
            f"unknown model {body.model!r}; allowed: {', '.join(deps.OPENAI_MODELS)}", param="model"
        )
    emotion, intensity = emotion_from_instructions(body.instructions or "")
    return SynthesisRequest(
        text=body.input,
        voice=_openai_voice(settings, body.voice),
        emotion=emotion,
        intensity=intensity,
        speed=body.speed,
        format=audio_format(body.response_format, "response_format"),
        sample_rate=OPENAI_SAMPLE_RATE,
        lexicon=lexicon,
        ssml=is_ssml(body.input),
    )


@router.post("/v1/audio/speech", responses=AUDIO_RESPONSES, summary="OpenAI-compatible speech")
async def speech(body: SpeechBody, request: Request, service: Service) -> Response:
    lexicon = await deps.lexicon_for(request, body.lexicons)
    synth = _openai_request(body, service.settings, lexicon)
    if not body.stream and body.stream_format == "audio":
        return await _whole(request, service, synth)
    stream = await service.open_stream(synth)
    events = openai_sse(stream, len(body.input)) if body.stream_format == "sse" else None
    return await _streamed(service, stream, events)
