"""``WS /v1/stream``: text in (e.g. an LLM's tokens), audio out sentence by sentence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from fastapi import APIRouter, WebSocket

from voxserve.api.deps import owner_of
from voxserve.api.service import SpeechService
from voxserve.api.ws_session import StreamSession
from voxserve.lexicons.service import LexiconService
from voxserve.text.lexicon import Lexicon

router = APIRouter()


@router.websocket("/v1/stream")
async def stream(ws: WebSocket) -> None:
    service: SpeechService = ws.app.state.speech
    lexicons = cast(LexiconService, ws.app.state.lexicons)
    owner = owner_of(ws.scope.get("state", {}))

    async def resolve(names: Sequence[str]) -> Lexicon:
        return await lexicons.resolve(names, owner)

    await StreamSession(ws, service, resolve).run()
