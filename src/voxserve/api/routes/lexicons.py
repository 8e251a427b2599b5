"""Pronunciation lexicons: create, list, read, replace and delete; requests name them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from voxserve.api import deps
from voxserve.lexicons.service import LexiconService, detail, summary

router = APIRouter()
Lexicons = Annotated[LexiconService, Depends(deps.lexicon_service)]
Owner = Annotated[str | None, Depends(deps.owner)]

_ENTRIES_DOC = (
    'Entries: {"grapheme": "行长", "pinyin": "hang2 zhang3"} (one syllable with its tone per Han '
    'character) or {"grapheme": "W3C", "alias": "万维网联盟"} (spoken as the alias).'
)
_ERRORS: dict[int | str, dict[str, Any]] = {404: {"description": "No such lexicon"}}


class LexiconEntries(BaseModel):
    """``PUT /v1/lexicons/{name}``: the lexicon's whole new content."""

    model_config = ConfigDict(extra="forbid", strict=True)

    entries: list[dict[str, Any]] = Field(description=_ENTRIES_DOC)


class NewLexicon(LexiconEntries):
    """``POST /v1/lexicons``: a new lexicon."""

    name: str = Field(description="1-64 letters, digits, '_', '.' or '-'.")


@router.post(
    "/v1/lexicons",
    status_code=201,
    summary="Create a lexicon",
    dependencies=[Depends(deps.require_json)],
    responses={422: {"description": "Invalid entries, a name in use, or over a limit"}},
)
async def create(body: NewLexicon, lexicons: Lexicons, owner: Owner) -> JSONResponse:
    stored = await lexicons.put(owner, body.name, body.entries, create=True)
    return JSONResponse(
        detail(stored), status_code=201, headers={"Location": f"/v1/lexicons/{stored.name}"}
    )


@router.get("/v1/lexicons", summary="The caller's lexicons, by name")
async def list_lexicons(lexicons: Lexicons, owner: Owner) -> dict[str, Any]:
    return {"object": "list", "data": [summary(s) for s in await lexicons.all(owner)]}


@router.get("/v1/lexicons/{name}", summary="A lexicon and its entries", responses=_ERRORS)
async def get_lexicon(name: str, lexicons: Lexicons, owner: Owner) -> dict[str, object]:
    return detail(await lexicons.get(owner, name))


@router.put(
    "/v1/lexicons/{name}",
    summary="Create or replace a lexicon (its version goes up by one)",
    dependencies=[Depends(deps.require_json)],
)
async def replace_lexicon(
    name: str, body: LexiconEntries, lexicons: Lexicons, owner: Owner
) -> dict[str, object]:
    return detail(await lexicons.put(owner, name, body.entries))


@router.delete(
    "/v1/lexicons/{name}", status_code=204, summary="Delete a lexicon", responses=_ERRORS
)
async def delete_lexicon(name: str, lexicons: Lexicons, owner: Owner) -> Response:
    await lexicons.delete(owner, name)
    return Response(status_code=204)
