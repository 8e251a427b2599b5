"""Log lines: JSON or plain, with the request id; users' text only when asked for."""

from __future__ import annotations

import io
import json
import logging

import numpy as np
import pytest

from voxserve import logs
from voxserve.errors import EmptyTextError
from voxserve.scheduler import worker
from voxserve.scheduler.protocol import Failed, Render, Rendered
from voxserve.settings import Settings
from voxserve.timing import NO_MARKS, Timed


def _record(message: str = "hello %s", *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("voxserve.x", logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    logs.RequestIdFilter().filter(record)
    return record


def test_json_lines_carry_the_request_id_and_extras() -> None:
    token = logs.request_id.set("req-123456")
    try:
        line = logs.JsonFormatter().format(_record("hello %s", "world", status=200))
    finally:
        logs.request_id.reset(token)
    entry = json.loads(line)
    assert entry["message"] == "hello world" and entry["level"] == "info"
    assert entry["request_id"] == "req-123456" and entry["status"] == 200
    assert entry["logger"] == "voxserve.x" and entry["ts"].endswith("Z")
    assert "args" not in entry and "msg" not in entry


def test_outside_a_request_the_id_is_a_dash() -> None:
    assert json.loads(logs.JsonFormatter().format(_record()))["request_id"] == "-"


def test_exceptions_are_one_json_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = _record()
        record.exc_info = sys.exc_info()
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["exception"]


@pytest.mark.parametrize(("fmt", "expect_json"), [("json", True), ("plain", False)])
def test_format_setting(fmt: str, expect_json: bool) -> None:
    assert logs.use_json(Settings(log_format=fmt)) is expect_json  # type: ignore[arg-type]


def test_text_is_logged_only_when_asked() -> None:
    assert logs.text_field(Settings(), "秘密") == {}
    assert logs.text_field(Settings(log_text=True), "秘密") == {"text": "秘密"}


class _FakeSynthesizer:
    def __init__(self, settings: Settings, fail: bool = False) -> None:
        self.settings = settings
        self.fail = fail

    def render_unit(self, task: object, on_part: object = None) -> Timed:
        logging.getLogger("voxserve.engines.fake").warning("engine says hi")
        if self.fail:
            raise EmptyTextError()
        return Timed(np.zeros(10, dtype=np.float32), NO_MARKS)


class _Task:
    text = "这是秘密的文字"


def test_worker_lines_carry_the_request_id_and_no_text(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(logs.RequestIdFilter())
    synth = _FakeSynthesizer(Settings())
    with caplog.at_level(logging.DEBUG):
        result = worker._render(synth, Render(7, _Task(), "req-abc"), io.BytesIO())  # type: ignore[arg-type]
        failed = worker._render(
            _FakeSynthesizer(Settings(), fail=True),  # type: ignore[arg-type]
            Render(8, _Task(), "req-def"),  # type: ignore[arg-type]
            io.BytesIO(),
        )
    assert isinstance(result, Rendered) and isinstance(failed, Failed)
    ids = {r.getMessage(): getattr(r, "request_id", None) for r in caplog.records}
    assert ids["engine says hi"] in {"req-abc", "req-def"}
    assert any(m.startswith("unit rendered") and i == "req-abc" for m, i in ids.items())
    assert ids["unit failed: empty_text"] == "req-def"
    assert all("秘密" not in (r.getMessage() + str(vars(r))) for r in caplog.records)
    assert logs.request_id.get() == "-"  # reset after the unit


def test_worker_logs_text_when_asked(caplog: pytest.LogCaptureFixture) -> None:
    synth = _FakeSynthesizer(Settings(log_text=True))
    with caplog.at_level(logging.DEBUG):
        worker._render(synth, Render(9, _Task(), "r"), io.BytesIO())  # type: ignore[arg-type]
    assert any(getattr(r, "text", None) == _Task.text for r in caplog.records)
