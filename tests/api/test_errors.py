"""Unexpected errors: logged with the request id, answered without internals."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from voxserve.api.errors import install_error_handlers, status_of
from voxserve.api.middleware import ObservabilityMiddleware
from voxserve.errors import (
    DeadlineExceededError,
    EmptyTextError,
    ModelMissingError,
    OverloadedError,
    TextTooLongError,
    UnavailableError,
    UnknownVoiceError,
    VoxError,
)
from voxserve.metrics import Metrics
from voxserve.scheduler.scheduler import WorkerReportedError


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(ObservabilityMiddleware, metrics=Metrics())

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret database password in /etc/x")

    @app.get("/busy")
    async def busy() -> None:
        raise OverloadedError("busy", retry_after=2.2)

    return app


def test_unexpected_error_hides_internals(caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(_app(), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR):
        r = client.get("/boom")
    assert r.status_code == 500
    body = r.json()["error"]
    assert body["code"] == "internal_error" and "secret" not in r.text
    request_id = r.headers["x-request-id"]
    assert request_id in body["message"]
    assert any(request_id in rec.getMessage() for rec in caplog.records)


def test_capacity_errors_carry_retry_after() -> None:
    r = TestClient(_app()).get("/busy")
    assert r.status_code == 429 and r.headers["retry-after"] == "3"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (EmptyTextError(), 400),
        (TextTooLongError(10, 5), 413),
        (UnknownVoiceError("x", ["a"]), 404),
        (OverloadedError("x"), 429),
        (DeadlineExceededError("x"), 504),
        (UnavailableError("x"), 503),
        (ModelMissingError("baker-zh"), 503),
        (VoxError("x"), 500),
    ],
)
def test_status_mapping(error: VoxError, status: int) -> None:
    assert status_of(error) == status


@pytest.mark.parametrize(
    ("code", "status"),
    [("unknown_voice", 404), ("empty_text", 400), ("model_missing", 503), ("whatever", 500)],
)
def test_errors_from_workers_keep_their_status(code: str, status: int) -> None:
    assert status_of(WorkerReportedError(code, "from a worker", None)) == status
