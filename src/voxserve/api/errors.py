"""Errors to HTTP, in one place: every error body is ``{"error": {"code", "message", "param"}}``."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from voxserve import errors as e
from voxserve.scheduler.scheduler import WorkerReportedError

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[e.VoxError], int], ...] = (
    (e.TextTooLongError, 413),
    (e.UnknownVoiceError, 404),
    (e.JobNotFoundError, 404),
    (e.CaptionsUnavailableError, 404),
    (e.LexiconNotFoundError, 404),
    (e.InvalidLexiconError, 422),
    (e.JobStateError, 409),
    (e.InvalidWebhookError, 422),
    (e.InvalidPinyinError, 422),
    (e.InputError, 400),
    (e.AuthenticationError, 401),
    (e.RateLimitedError, 429),
    (e.AccessError, 403),
    (e.OverloadedError, 429),
    (e.DeadlineExceededError, 504),
    (e.UnavailableError, 503),
    (e.StorageFullError, 507),
    (e.StorageError, 503),
    (e.ModelError, 503),
    (e.EngineError, 500),
)


class HTTPInputError(e.InputError):
    """An input error that only HTTP knows (content type, body size...), with its status."""

    def __init__(self, status: int, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message, param=param)
        self.status = status
        self.code = code


def status_of(exc: e.VoxError) -> int:
    if isinstance(exc, HTTPInputError):
        return exc.status
    # An error raised in a worker keeps the status of the error class it was raised as.
    actual = exc.kind if isinstance(exc, WorkerReportedError) else type(exc)
    return next((status for kind, status in _STATUS if issubclass(actual, kind)), 500)


def error_response(
    status: int,
    code: str,
    message: str,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "param": param}}
    return JSONResponse(body, status_code=status, headers=headers)


def vox_error_response(exc: e.VoxError) -> JSONResponse:
    headers: dict[str, str] = dict(exc.headers) if isinstance(exc, e.AccessError) else {}
    if isinstance(exc, e.CapacityError | e.RateLimitedError) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    status = status_of(exc)
    if status >= 500 and not isinstance(exc, e.CapacityError | e.ModelError):
        log.error("request failed: %s (%s)", exc.code, exc.message)
    return error_response(status, exc.code, exc.message, exc.param, headers or None)


def _validation_response(exc: RequestValidationError) -> JSONResponse:
    first: dict[str, Any] = exc.errors()[0] if exc.errors() else {}
    kind = str(first.get("type", ""))
    location = [str(p) for p in first.get("loc", ()) if p != "body"]
    param = ".".join(location) or None
    if kind == "json_invalid":
        return error_response(400, "invalid_json", "request body is not valid JSON")
    message = str(first.get("msg", "invalid request"))
    if param:
        message = f"{param}: {message}"
    return error_response(422, "invalid_parameter", message, param)


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception to the one error shape; unexpected ones are logged, not shown."""

    async def on_vox(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, e.VoxError)
        return vox_error_response(exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _validation_response(exc)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, code, str(exc.detail), headers=headers)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = request.scope.get("state", {}).get("request_id", "-")
        log.exception("unexpected error in request %s", request_id)
        # Answered outside the request-id middleware (Starlette's server-error layer): say it here.
        return error_response(
            500,
            "internal_error",
            f"internal error; quote request id {request_id} to the operator",
            headers={"X-Request-Id": request_id},
        )

    app.add_exception_handler(e.VoxError, on_vox)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. text_too_long.")
    message: str = Field(description="What went wrong, for people.")
    param: str | None = Field(description="The input to blame, if one is.")


class ErrorBody(BaseModel):
    """The one shape of every error answer."""

    error: ErrorDetail


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("Bad input: invalid JSON, empty or invalid text, unknown emotion or format."),
    401: _error("An API key is required (server setting) and was missing or invalid."),
    404: _error("Unknown voice, job or path."),
    408: _error("The request body arrived too slowly."),
    413: _error("Request body or text over its limit."),
    415: _error("The body is not application/json."),
    429: _error("Over a rate limit, or the service is busy; see Retry-After."),
    503: _error("Not ready (workers starting or stopping, a model missing); see Retry-After."),
    504: _error("The request ran past its deadline."),
}
"""Error answers any operation may give (middleware and shared checks apply to all), declared
once for the OpenAPI schema; 422 (parameter validation) FastAPI declares itself."""
