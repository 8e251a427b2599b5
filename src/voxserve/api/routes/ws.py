"""``WS /v1/stream``: text in (e.g. an LLM's tokens), audio out sentence by sentence."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from voxserve.api.service import SpeechService
from voxserve.api.ws_session import StreamSession

router = APIRouter()


@router.websocket("/v1/stream")
async def stream(ws: WebSocket) -> None:
    service: SpeechService = ws.app.state.speech
    await StreamSession(ws, service).run()
