"""Asynchronous jobs: submit long texts, follow their progress, fetch or delete their audio."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from pydantic import Field

from voxserve.api import deps
from voxserve.api.schemas import VoiceParams
from voxserve.audio.encode import content_type
from voxserve.captions import build_cues, to_json, to_srt, to_vtt
from voxserve.jobs.service import JobService
from voxserve.timestamps import stored_tokens

router = APIRouter()
_JOB_ID = r"^job_[0-9a-f]{24}$"


async def job_service(request: Request) -> JobService:
    return cast(JobService, request.app.state.jobs)


Jobs = Annotated[JobService, Depends(job_service)]


Owner = Annotated[str | None, Depends(deps.owner)]


class JobBody(VoiceParams):
    """``POST /v1/jobs``: the parameters of ``/v1/tts``, for a text of up to ``max_job_chars``."""

    text: str = Field(min_length=1, description="Text to speak (up to max_job_chars characters).")
    webhook_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Where to POST a signed event when the job succeeds or fails.",
    )


_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such job"},
    409: {"description": "The job's status does not allow this"},
}


@router.post(
    "/v1/jobs",
    status_code=202,
    summary="Submit a job",
    dependencies=[Depends(deps.require_json)],
    responses={422: {"description": "Invalid parameters or webhook URL"}},
)
async def submit(body: JobBody, request: Request, jobs: Jobs, owner: Owner) -> JSONResponse:
    lexicon = await deps.lexicon_for(request, body.lexicons)
    job = await jobs.submit(body.synthesis_request(body.text, lexicon), body.webhook_url, owner)
    view = jobs.view(job)
    return JSONResponse(view, status_code=202, headers={"Location": view["urls"]["self"]})


@router.get("/v1/jobs", summary="List jobs, newest first")
async def list_jobs(
    jobs: Jobs,
    owner: Owner,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(pattern=_JOB_ID)] = None,
) -> dict[str, Any]:
    page = await jobs.page(limit + 1, after, owner)
    data = [jobs.view(j) for j in page[:limit]]
    return {
        "object": "list",
        "data": data,
        "has_more": len(page) > limit,
        "last_id": data[-1]["id"] if data else None,
    }


@router.get("/v1/jobs/{job_id}", summary="A job's status and progress", responses=_ERRORS)
async def get_job(job_id: str, jobs: Jobs, owner: Owner) -> dict[str, Any]:
    return jobs.view(await jobs.get(job_id, owner))


@router.post(
    "/v1/jobs/{job_id}/cancel", summary="Cancel a queued or running job", responses=_ERRORS
)
async def cancel_job(job_id: str, jobs: Jobs, owner: Owner) -> dict[str, Any]:
    return jobs.view(await jobs.cancel(job_id, owner))


@router.delete(
    "/v1/jobs/{job_id}",
    summary="Cancel an unfinished job, or delete a finished one and its audio",
    responses=_ERRORS,
)
async def delete_job(job_id: str, jobs: Jobs, owner: Owner) -> dict[str, Any]:
    cancelled = await jobs.delete(job_id, owner)
    if cancelled is not None:
        return jobs.view(cancelled)
    return {"id": job_id, "object": "job.deleted", "deleted": True}


@router.get(
    "/v1/jobs/{job_id}/audio",
    summary="A succeeded job's audio (supports Range requests)",
    responses={**_ERRORS, 200: {"content": {"audio/*": {}}, "description": "The audio file."}},
)
async def job_audio(job_id: str, jobs: Jobs, owner: Owner) -> Response:
    job, path = await jobs.audio(job_id, owner)
    fmt = job.request.format
    return FileResponse(
        path,
        media_type=content_type(fmt),
        filename=f"{job.id}.{fmt.value}",
        headers={
            "X-Audio-Duration": f"{job.audio_seconds:.3f}",
            "X-Sample-Rate": str(job.sample_rate),
        },
    )


@router.get(
    "/v1/jobs/{job_id}/text",
    summary="A job's text, as it was submitted (to read it again or resubmit it)",
    responses={**_ERRORS, 200: {"content": {"text/plain": {}}, "description": "The text."}},
)
async def job_text(job_id: str, jobs: Jobs, owner: Owner) -> Response:
    job = await jobs.get(job_id, owner)
    return Response(job.request.text, media_type="text/plain; charset=utf-8")


CAPTION_TYPES = {
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
}


@router.get(
    "/v1/jobs/{job_id}/captions",
    summary="A succeeded job's captions (WebVTT, SRT) or timestamps (JSON)",
    responses={
        **_ERRORS,
        200: {
            "content": {"text/vtt": {}, "application/x-subrip": {}, "application/json": {}},
            "description": "Subtitle cues built from when each token is spoken.",
        },
    },
)
async def job_captions(
    job_id: str, jobs: Jobs, owner: Owner, format: Literal["vtt", "srt", "json"] = "vtt"
) -> Response:
    timings = await jobs.timings(job_id, owner)
    job = await jobs.get(job_id, owner)
    cues = await asyncio.to_thread(
        build_cues, stored_tokens(timings), job.request.text, timings["duration_ms"]
    )
    if format == "json":
        return JSONResponse({**timings, "cues": to_json(cues)})
    text = to_vtt(cues) if format == "vtt" else to_srt(cues)
    name = f"{job.id}.{format}"
    disposition = {"Content-Disposition": f'inline; filename="{name}"'}
    return Response(text, media_type=CAPTION_TYPES[format], headers=disposition)


@router.get(
    "/v1/jobs/{job_id}/events",
    summary="Server-sent progress events until the job finishes",
    responses={**_ERRORS, 200: {"content": {"text/event-stream": {}}, "description": "Events."}},
)
async def job_events(job_id: str, jobs: Jobs, owner: Owner) -> StreamingResponse:
    await jobs.get(job_id, owner)  # 404 before the stream starts
    return StreamingResponse(
        _events(jobs, job_id, owner),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(jobs: JobService, job_id: str, owner: str | None) -> AsyncGenerator[bytes, None]:
    async for job in jobs.follow(job_id, owner):
        if job is None:
            yield b": keep-alive\n\n"
            continue
        kind = "done" if job.status.finished else "progress"
        data = json.dumps(jobs.view(job), ensure_ascii=False)
        yield f"event: {kind}\ndata: {data}\n\n".encode()
