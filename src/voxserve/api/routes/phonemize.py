"""``POST /v1/phonemize``: how the front end reads a text, token by token, without speaking it."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from voxserve.api import deps
from voxserve.api.schemas import PhonemizeBody
from voxserve.errors import TextTooLongError
from voxserve.pipeline import SSML_MARKUP_FACTOR
from voxserve.settings import Settings
from voxserve.text.lexicon import Lexicon
from voxserve.text.tokens import Tokenizer, default_tokenizer

router = APIRouter(dependencies=[Depends(deps.require_json)])
_LOADING = threading.Lock()


def _tokenizer(request: Request) -> Tokenizer:
    """The app's tokenizer, loaded on first use (jieba and the polyphone model take a second)."""
    with _LOADING:
        tokenizer: Tokenizer | None = getattr(request.app.state, "tokenizer", None)
        if tokenizer is None:
            settings: Settings = request.app.state.settings
            tokenizer = default_tokenizer(settings.max_unit_chars)
            request.app.state.tokenizer = tokenizer
        return tokenizer


def _phonemize(request: Request, body: PhonemizeBody, lexicon: Lexicon) -> list[dict[str, Any]]:
    tokenizer = _tokenizer(request)
    if body.is_ssml:
        return [asdict(token) for token in tokenizer.ssml_tokens(body.text, lexicon)]
    return [asdict(token) for token in tokenizer.tokens(body.text, lexicon)]


@router.post("/v1/phonemize", summary="Tokens of a text and how each is read")
async def phonemize(
    body: PhonemizeBody, request: Request, settings: Annotated[Settings, Depends(deps.settings)]
) -> dict[str, Any]:
    limit = settings.max_text_chars * (SSML_MARKUP_FACTOR if body.is_ssml else 1)
    if len(body.text) > limit:
        raise TextTooLongError(len(body.text), limit)
    lexicon = await deps.lexicon_for(request, body.lexicons)
    tokens = await asyncio.to_thread(_phonemize, request, body, lexicon)
    return {"text": body.text, "tokens": tokens}
