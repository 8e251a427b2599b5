"""The command line, run as a user runs it (a subprocess of the installed entry point)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf
import srt
import webvtt

from voxserve.settings import Settings

FAST = {"VOXSERVE_ENGINES": "espeak"}


def run(
    *args: str,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "voxserve.cli", *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def test_say_mandarin_with_emotion(tmp_path: Path) -> None:
    out = tmp_path / "a.wav"
    r = run("say", "今天天气真好，适合出门散步。", "--emotion", "happy", "-o", str(out))
    assert r.returncode == 0, r.stderr
    audio, rate = sf.read(out)
    assert rate == 24000 and 1.5 < len(audio) / rate < 6
    assert b"zh-baker" in r.stderr


def test_say_writes_captions_in_every_format(tmp_path: Path) -> None:
    text = "今天天气真好，适合出门散步。我们下午三点出发吧！"
    audio = tmp_path / "a.wav"
    for fmt in ("vtt", "srt", "json"):
        captions = tmp_path / f"a.{fmt}"
        r = run("say", text, "-o", str(audio), "--captions", str(captions))
        assert r.returncode == 0, r.stderr
    samples, rate = sf.read(audio)
    duration = len(samples) / rate
    cues = webvtt.from_string((tmp_path / "a.vtt").read_text(encoding="utf-8"), strict=True)
    assert cues.captions[0].start_time.in_milliseconds() == 0
    assert cues.captions[-1].end_time.in_milliseconds() == round(duration * 1000)
    subtitles = list(srt.parse((tmp_path / "a.srt").read_text(encoding="utf-8")))
    assert [c.content for c in subtitles] == [c.raw_text for c in cues.captions]
    timings = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert "".join(t["text"] for t in timings["tokens"]) == "".join(
        c for c in text if c not in "，。！"
    )
    bad = run("say", text, "-o", str(audio), "--captions", str(tmp_path / "a.txt"))
    assert bad.returncode == 2 and b".vtt, .srt or .json" in bad.stderr


def test_say_english_voice_flac(tmp_path: Path) -> None:
    out = tmp_path / "b.flac"
    r = run("say", "Hello from the command line.", "--voice", "en-joe", "-o", str(out))
    assert r.returncode == 0, r.stderr
    info = sf.info(out)
    assert info.format == "FLAC" and info.samplerate == 22050


def test_say_reads_ssml(tmp_path: Path) -> None:
    doc = '<speak>你好。<break time="1500ms"/>再见。</speak>'
    seconds = {}
    for name, args in (("ssml", ()), ("forced", ("--ssml",)), ("text", ("--no-ssml",))):
        out = tmp_path / f"{name}.wav"
        r = run("say", doc, *args, "--voice", "espeak-zh", "-o", str(out), env=FAST)
        assert r.returncode == 0, r.stderr
        seconds[name] = sf.info(out).duration
    assert seconds["ssml"] == seconds["forced"] > 1.5
    assert seconds["text"] != seconds["ssml"]  # the markup read aloud, without the break
    bad = run("say", "<speak><break time='soon'/></speak>", "-o", str(tmp_path / "x.wav"), env=FAST)
    assert bad.returncode == 2 and b"<break time='soon'>" in bad.stderr


def test_stdin_to_stdout_pcm() -> None:
    r = run("say", "--format", "pcm", "--sample-rate", "16000", stdin="你好。".encode(), env=FAST)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) > 16000 * 2 * 0.2 and len(r.stdout) % 2 == 0


def test_stdout_wav_is_valid() -> None:
    r = run("say", "Testing.", "--voice", "espeak-en", env=FAST)
    assert r.returncode == 0
    audio, rate = sf.read(io.BytesIO(r.stdout))
    assert rate == 22050 and len(audio) > 0


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["say", ""], None, "nothing to speak"),
        (["say", "   \n\t "], None, "nothing to speak"),
        (["say", "。，！？……"], None, "nothing to speak"),
        (["say", "😀🎉👍"], None, "nothing to speak"),
        (["say", "你好\x07世界"], None, "U+0007"),
        (["say"], b"\xff\xfe\xfa bad", "not valid UTF-8"),
        (["say", "你好", "--voice", "nobody"], None, "unknown voice 'nobody'; allowed:"),
        (["say", "你好", "--emotion", "bored"], None, "unknown emotion 'bored'; allowed:"),
        (["say", "你好", "--format", "ogg"], None, "unknown format 'ogg'; allowed: flac, pcm, wav"),
        (["say", "你好", "--speed", "9"], None, "speed must be between 0.25 and 4"),
        (["say", "你好", "--speed", "nan"], None, "speed must be between"),
        (["say", "你好", "--intensity", "-1"], None, "intensity must be between 0 and 2"),
        (["say", "你好", "--pitch", "40"], None, "pitch must be between -12 and 12"),
        (["say", "你好", "--volume", "inf"], None, "volume must be between"),
        (["say", "你好", "--sample-rate", "1000"], None, "sample_rate must be between"),
        (["say", "你好", "--speed", "fast"], None, "'fast' is not a valid float"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], stdin: bytes | None, needle: str, tmp_path: Path
) -> None:
    r = run(*args, "-o", str(tmp_path / "x.wav"), stdin=stdin, env=FAST)
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert needle in err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("voxserve: error: ")


def test_text_over_the_limit(tmp_path: Path) -> None:
    r = run(
        "say",
        "好" * 101,
        "-o",
        str(tmp_path / "x.wav"),
        env={**FAST, "VOXSERVE_MAX_TEXT_CHARS": "100"},
    )
    assert r.returncode == 2 and b"101 characters long; the limit is 100" in r.stderr


def test_refuses_to_write_audio_to_a_terminal() -> None:
    code = (
        "import pty, os, sys; pid, fd = pty.fork()\n"
        "if pid == 0: os.execv(sys.executable, [sys.executable, '-m', 'voxserve.cli', 'say', "
        "'hi'])\n"
        "out = b''\n"
        "try:\n    while chunk := os.read(fd, 1024): out += chunk\nexcept OSError: pass\n"
        "print(os.waitpid(pid, 0)[1] >> 8, out.decode())"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        timeout=60,
        env={**os.environ, **FAST},
        check=False,
    )
    assert r.stdout.decode().startswith("2 ") and "terminal" in r.stdout.decode()


def test_corrupt_model_names_model_and_rebuild_command(tmp_path: Path) -> None:
    store = Settings().model_dir
    copy = tmp_path / "models"
    shutil.copytree(store / "baker-zh", copy / "baker-zh")
    onnx = next((copy / "baker-zh").glob("*.onnx"))
    onnx.write_bytes(onnx.read_bytes()[:1000])
    r = run(
        "say",
        "你好",
        "-o",
        str(tmp_path / "x.wav"),
        env={"VOXSERVE_MODEL_DIR": str(copy), "VOXSERVE_ENGINES": "baker-zh"},
    )
    err = r.stderr.decode()
    assert r.returncode == 1 and "Traceback" not in err
    assert "baker-zh" in err and "voxserve models build baker-zh" in err


def test_missing_model_says_how_to_build(tmp_path: Path) -> None:
    r = run(
        "say",
        "你好",
        "-o",
        str(tmp_path / "x.wav"),
        env={"VOXSERVE_MODEL_DIR": str(tmp_path / "empty"), "VOXSERVE_ENGINES": "baker-zh"},
    )
    assert r.returncode == 1
    assert b"voxserve models build baker-zh" in r.stderr


def test_listings() -> None:
    voices = run("voices")
    assert voices.returncode == 0 and b"zh-baker" in voices.stdout and b"en-joe" in voices.stdout
    emotions = run("emotions")
    assert all(
        e in emotions.stdout for e in [b"happy", b"sad", b"angry", b"fear", b"surprise", b"disgust"]
    )
    models = run("models", "list")
    assert models.returncode == 0 and b"baker-zh" in models.stdout


def test_phonemize_shows_each_token_and_its_reading() -> None:
    r = run("phonemize", "行长说：余额36.00元，iPhone很贵。")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[0].split() == ["0-1", "行", "hang2"]
    assert "36.00 -> 三十六  san1 shi2 liu4" in lines[5]
    assert any("iPhone" in line and "f" in line for line in lines)


def test_phonemize_json_and_bad_text() -> None:
    import json

    r = run("phonemize", "--json", stdin="好".encode())
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["tokens"][0]["pinyin"] == ["hao3"]
    bad = run("phonemize", "，。")
    assert bad.returncode == 2 and b"nothing to speak" in bad.stderr
