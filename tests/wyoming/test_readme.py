"""The README's Home Assistant section, followed with the ``wyoming`` client: its command, the
port it names, and the voices and speakers it tells users to choose."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from wyoming.client import AsyncTcpClient
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeVoice

from tests.support import aio
from tests.support.server import ServerProcess

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"^## Home Assistant.*?(?=^## )", text, flags=re.M | re.S)
    assert found, "the README has no Home Assistant section"
    return found.group(0)


def test_the_home_assistant_steps_work() -> None:
    section = _section()
    command = re.search(r"```sh\n(.*?)\n```", section, flags=re.S)
    assert command
    argv = shlex.split(command.group(1))
    assert argv[:2] == [".venv/bin/voxserve", "serve"]
    options = argv[2:]
    port = int(options[options.index("--wyoming-port") + 1])
    assert f"port: `{port}`" in section  # the port the integration is told to use
    voice = re.search(r"`(zh-[a-z]+)` for Mandarin", section)
    speakers = re.findall(r"`(neutral|happy|sad|angry|fear|surprise|disgust)`", section)
    assert voice and len(set(speakers)) == 7

    server = ServerProcess({"VOXSERVE_ENGINES": "baker-zh,espeak"}, workers=1, args=options)
    server.start()
    try:
        info, end = aio.run(_as_home_assistant(port, voice.group(1), "happy"))
    finally:
        server.stop()
    voices = {v.name: v for v in info.tts[0].voices}
    assert {s.name for s in voices[voice.group(1)].speakers or []} == set(speakers)
    assert end == ["audio-start", "audio-chunk", "audio-stop"]


async def _as_home_assistant(port: int, voice: str, speaker: str) -> tuple[Info, list[str]]:
    """What the integration does: describe once, then a synthesize with voice and speaker."""
    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Describe().event())
        info_event = await client.read_event()
        assert info_event is not None
        info = Info.from_event(info_event)
    async with AsyncTcpClient("127.0.0.1", port) as client:
        say = Synthesize(text="客厅的灯已经打开了。", voice=SynthesizeVoice(voice, speaker=speaker))
        await client.write_event(say.event())
        kinds: list[str] = []
        while (event := await client.read_event()) is not None:
            if not kinds or kinds[-1] != event.type:  # one entry per run of chunks
                kinds.append(event.type)
            if event.type in ("audio-stop", "error"):
                break
    return info, kinds
