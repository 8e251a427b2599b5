"""The official openai package against a real server."""

from __future__ import annotations

import io

import av
from openai import OpenAI

from tests.support.server import ServerProcess


def _duration(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        return sum(f.samples for f in container.decode(stream)) / stream.rate


def test_openai_create(server: ServerProcess) -> None:
    client = OpenAI(base_url=f"{server.url}/v1", api_key="unused")
    audio = client.audio.speech.create(
        model="tts-1", voice="alloy", input="今天天气真好，适合出门散步。"
    )
    assert audio.response.headers["content-type"] == "audio/mpeg"
    assert 1.5 < _duration(audio.content) < 8


def test_openai_streaming_response(server: ServerProcess) -> None:
    client = OpenAI(base_url=f"{server.url}/v1", api_key="unused")
    with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts",
        voice="echo",
        input="Hello from voxserve. How are you today?",
        instructions="Speak cheerfully.",
        response_format="wav",
    ) as response:
        data = b"".join(response.iter_bytes())
    assert 1.0 < _duration(data) < 8
