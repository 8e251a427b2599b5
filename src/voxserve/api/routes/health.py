"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from voxserve.api import deps
from voxserve.metrics import Metrics
from voxserve.scheduler.scheduler import Scheduler

router = APIRouter()


@router.get("/healthz", summary="Liveness (never touches a worker)")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: workers up, models loaded")
async def readyz(scheduler: Annotated[Scheduler, Depends(deps.scheduler)]) -> JSONResponse:
    pool = scheduler.pool
    body = {
        "ready": scheduler.ready,
        "workers": len(pool.interactive),
        "workers_wanted": pool.size,
        "voices": len(scheduler.voices),
        "worker_pids": [w.pid for w in pool.interactive],
        "job_worker_pids": [w.pid for w in pool.background],
    }
    return JSONResponse(body, status_code=200 if scheduler.ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(m: Annotated[Metrics, Depends(deps.metrics)]) -> Response:
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
