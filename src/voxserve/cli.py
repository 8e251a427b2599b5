"""The ``voxserve`` command line: say, voices, emotions, models, bench (and serve, with the API)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn

import click
import pydantic

from voxserve.errors import InputError, InvalidTextError, UnknownFormatError, VoxError
from voxserve.lexicons.cli import lexicons
from voxserve.settings import Settings
from voxserve.types import AudioFormat, AudioResult, SynthesisRequest

if TYPE_CHECKING:
    from voxserve.pipeline import Synthesizer

CLI_FORMATS = (AudioFormat.WAV, AudioFormat.FLAC, AudioFormat.PCM)

EXIT_INPUT = 2
EXIT_FAILURE = 1


def _fail(message: str, status: int) -> NoReturn:
    click.echo(f"voxserve: error: {message}", err=True)
    sys.exit(status)


@click.group()
@click.version_option(package_name="voxserve")
def cli() -> None:
    """voxserve: Mandarin + English text-to-speech with emotions."""


def _read_text(text: str | None, stdin: BinaryIO) -> str:
    if text is not None:
        return text
    if sys.stdin.isatty():
        raise InputError("no text given: pass TEXT or pipe it on standard input", param="text")
    try:
        return stdin.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidTextError(
            f"standard input is not valid UTF-8 (bad byte at offset {exc.start})", param="text"
        ) from None


def _output_format(name: str, output: Path | None) -> AudioFormat:
    if name == "auto":
        suffix = output.suffix.lstrip(".").lower() if output else ""
        name = suffix if suffix in {f.value for f in CLI_FORMATS} else "wav"
    if name not in {f.value for f in CLI_FORMATS}:
        raise UnknownFormatError(name, [f.value for f in CLI_FORMATS])
    return AudioFormat(name)


CAPTION_FORMATS = ("vtt", "srt", "json")


def _caption_format(path: Path | None) -> str:
    """The captions' format from the file's extension (checked before anything is spoken)."""
    if path is None:
        return ""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in CAPTION_FORMATS:
        raise InputError(
            f"captions are written as .vtt, .srt or .json, not {path.name!r}", param="captions"
        )
    return suffix


def _speak_with_captions(
    synthesizer: Synthesizer, request: SynthesisRequest, path: Path, fmt: str
) -> AudioResult:
    """Speak ``request`` and write its captions (or timestamps) to ``path``."""
    from voxserve.captions import build_cues, to_json, to_srt, to_vtt
    from voxserve.text.tokens import default_tokenizer
    from voxserve.timestamps import synthesize_timed

    tokenizer = default_tokenizer(synthesizer.settings.max_unit_chars)
    timed = synthesize_timed(synthesizer, tokenizer, request)
    duration_ms = round(timed.audio.duration * 1000)
    cues = build_cues(timed.tokens, request.text, duration_ms)
    if fmt == "json":
        document = {
            "duration_ms": duration_ms,
            "tokens": [t.as_json() for t in timed.tokens],
            "sentences": [s.as_json() for s in timed.sentences],
            "cues": to_json(cues),
        }
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        path.write_text(to_vtt(cues) if fmt == "vtt" else to_srt(cues), encoding="utf-8")
    return timed.audio


@cli.command()
@click.argument("text", required=False)
@click.option(
    "--voice", "-v", default=None, help="Voice id (see `voxserve voices`); zh/en pick the default."
)
@click.option(
    "--emotion", "-e", default="neutral", show_default=True, help="See `voxserve emotions`."
)
@click.option(
    "--intensity", type=float, default=1.0, show_default=True, help="Emotion strength 0..2."
)
@click.option(
    "--speed", type=float, default=1.0, show_default=True, help="Speaking rate multiplier, 0.25..4."
)
@click.option("--pitch", type=float, default=0.0, show_default=True, help="Semitones, -12..12.")
@click.option("--volume", type=float, default=0.0, show_default=True, help="dB, -30..12.")
@click.option(
    "--sample-rate", type=int, default=None, help="Output rate in Hz (default: the voice's)."
)
@click.option(
    "--format", "-f", "fmt", default="auto", help="wav, flac or pcm (default: from -o, else wav)."
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write; without it, audio goes to standard output if that is not a terminal.",
)
@click.option(
    "--ssml/--no-ssml",
    default=None,
    help="Read the text as SSML (default: when it starts with <speak).",
)
@click.option(
    "--captions",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write captions of the speech: WebVTT, SRT or JSON timestamps (by the extension).",
)
def say(
    text: str | None,
    voice: str | None,
    emotion: str,
    intensity: float,
    speed: float,
    pitch: float,
    volume: float,
    sample_rate: int | None,
    fmt: str,
    output: Path | None,
    ssml: bool | None,
    captions: Path | None,
) -> None:
    """Speak TEXT (or standard input) to an audio file."""
    from voxserve.audio.encode import encode
    from voxserve.pipeline import Synthesizer

    settings = Settings()
    audio_format = _output_format(fmt, output)
    if output is None and sys.stdout.isatty():
        raise InputError(
            "refusing to write audio to a terminal: pass -o FILE or redirect", param="output"
        )
    from voxserve.text.ssml import is_ssml

    source = _read_text(text, sys.stdin.buffer)
    request = SynthesisRequest(
        text=source,
        ssml=is_ssml(source) if ssml is None else ssml,
        voice=voice,
        emotion=emotion,
        intensity=intensity,
        speed=speed,
        pitch=pitch,
        volume=volume,
        format=audio_format,
        sample_rate=sample_rate,
    )
    for warning in unbuilt_models(settings):
        click.echo(f"voxserve: {warning}", err=True)
    caption_format = _caption_format(captions)
    synthesizer = Synthesizer.load(settings)
    if captions is None:
        result = synthesizer.synthesize(request)
    else:
        result = _speak_with_captions(synthesizer, request, captions, caption_format)
    data = encode(result.pcm, result.sample_rate, audio_format)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(data)
        click.echo(
            f"wrote {output} ({result.duration:.2f} s, {result.voice}, {result.sample_rate} Hz)",
            err=True,
        )


@cli.command()
def voices() -> None:
    """List the voices of the installed engines."""
    from voxserve.pipeline import Synthesizer

    synthesizer = Synthesizer.load(Settings())
    for v in synthesizer.catalog.all():
        click.echo(f"{v.id:<16} {v.engine:<9} {v.language:<4} {v.sample_rate:>6} Hz  {v.name}")


@cli.command()
def emotions() -> None:
    """List the emotions and what each does to the voice."""
    from voxserve.prosody.emotions import EMOTIONS

    for e in EMOTIONS.values():
        p = e.prosody
        click.echo(
            f"{e.name:<9} {e.label_zh}  rate x{p.rate:.2f}  pitch {p.pitch:+.1f} st  "
            f"range x{p.pitch_range:.2f}  gain {p.gain_db:+.1f} dB  ({e.description})"
        )


@cli.command()
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object, as POST /v1/phonemize.")
def phonemize(text: str | None, as_json: bool) -> None:
    """Show how TEXT (or standard input) is read: token, reading, span."""
    import json
    from dataclasses import asdict

    from voxserve.text.ssml import is_ssml
    from voxserve.text.tokens import default_tokenizer

    source = _read_text(text, sys.stdin.buffer)
    tokenizer = default_tokenizer(Settings().max_unit_chars)
    tokens = tokenizer.ssml_tokens(source) if is_ssml(source) else tokenizer.tokens(source)
    if as_json:
        body = {"text": source, "tokens": [asdict(t) for t in tokens]}
        click.echo(json.dumps(body, ensure_ascii=False))
        return
    for t in tokens:
        reading = " ".join(t.pinyin) if t.pinyin is not None else t.phonemes or ""
        spoken = "" if t.spoken == t.text else f" -> {t.spoken}"
        click.echo(f"{t.orig_start:>5}-{t.orig_end:<5} {t.text}{spoken}  {reading}")


def main() -> None:
    """Entry point: run the CLI, turning every expected error into one line and exit status."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        _fail("aborted", EXIT_FAILURE)
    except click.ClickException as exc:
        _fail(exc.format_message(), EXIT_INPUT)
    except pydantic.ValidationError as exc:  # settings from the environment or options
        _fail("; ".join(_setting_problem(e) for e in exc.errors()), EXIT_INPUT)
    except InputError as exc:
        _fail(exc.message, EXIT_INPUT)
    except VoxError as exc:
        _fail(exc.message, EXIT_FAILURE)
    except BrokenPipeError:
        sys.exit(EXIT_FAILURE)


def unbuilt_models(settings: Settings) -> list[str]:
    """A line for each model that is not built (or built by an older recipe), saying the command
    that builds it: its voice is off until then (engines ``auto`` skip it; naming its engine
    fails)."""
    from voxserve.models import ModelStore

    store = ModelStore(settings)
    lines = []
    for name in store.known():
        info = store.describe(name)
        if not info.installed:
            lines.append(f"model {name} is not built, so its voice is off; build it once with: ")
        elif info.outdated:
            lines.append(f"model {name} was built by an older recipe, so its voice is off; ")
            lines[-1] += "upgrade it with: "
        else:
            continue
        lines[-1] += f"voxserve models build {name}"
    return lines


def _setting_problem(error: Any) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()))
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


DEMO_LINES = {
    "zh": "今天天气真好，适合出门散步。",
    "en": "Hello! This is voxserve, speaking English.",
}


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="Folder for the demo files.",
)
def demo(out: Path) -> None:
    """Write a short demo: each emotion in Mandarin, and the default English voice."""
    from voxserve.audio.encode import encode
    from voxserve.pipeline import Synthesizer
    from voxserve.prosody.emotions import EMOTIONS

    synthesizer = Synthesizer.load(Settings())
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(f"zh-{e}", DEMO_LINES["zh"], "zh", e) for e in EMOTIONS]
    jobs.append(("en-neutral", DEMO_LINES["en"], "en", "neutral"))
    for stem, text, voice, emotion in jobs:
        result = synthesizer.synthesize(SynthesisRequest(text=text, voice=voice, emotion=emotion))
        path = out / f"{stem}.wav"
        path.write_bytes(encode(result.pcm, result.sample_rate, AudioFormat.WAV))
        click.echo(f"{path}  {result.duration:.2f} s  {result.voice}")


@cli.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: one per core).")
@click.option(
    "--wyoming-port",
    type=int,
    default=None,
    help="Also serve the Wyoming protocol (Home Assistant) on this TCP port (default: off).",
)
@click.option(
    "--wyoming-host",
    default=None,
    help="Interface for Wyoming (default 127.0.0.1: Wyoming has no authentication).",
)
@click.option(
    "--ray",
    "use_ray",
    is_flag=True,
    help="Run on Ray Serve, replicas autoscaled (the `ray` extra; VOXSERVE_RAY_* settings).",
)
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    wyoming_port: int | None,
    wyoming_host: str | None,
    use_ray: bool,
) -> None:
    """Run the HTTP service (and the Wyoming one, with --wyoming-port)."""
    import uvicorn

    from voxserve import logs
    from voxserve.allocator import tune_allocator
    from voxserve.api.app import create_app
    from voxserve.security.http import guarded_protocol

    overrides = {
        "host": host,
        "port": port,
        "workers": workers,
        "wyoming_port": wyoming_port,
        "wyoming_host": wyoming_host,
    }
    given = {k: v for k, v in overrides.items() if v is not None}
    settings = Settings.model_validate({**Settings().model_dump(), **given})
    logs.configure(settings)
    for warning in unbuilt_models(settings):
        logging.getLogger("voxserve").warning(warning)
    tune_allocator(settings)
    if use_ray:
        if settings.wyoming_port:
            # Every Ray replica runs the whole app: each would try to bind the one port.
            raise click.UsageError("Wyoming is not served under --ray: run plain replicas for it")
        from voxserve.deploy import ray_serve

        ray_serve.serve_forever(settings, ray_serve.RaySettings())
        return
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,  # logs.configure's format for uvicorn's lines too
        access_log=False,  # voxserve.access logs each request, with its id
        http=guarded_protocol(settings),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        ws_max_size=settings.ws_max_message_chars * 4 + 4096,
        timeout_graceful_shutdown=int(settings.drain_timeout_s),
    )


@cli.group()
def keys() -> None:
    """Manage API keys (used when VOXSERVE_REQUIRE_API_KEY=true)."""


def _when(timestamp: float | None) -> str:
    import time

    if timestamp is None:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


@keys.command("create")
@click.option("--name", required=True, help="Who or what the key is for (shown by list).")
def keys_create(name: str) -> None:
    """Create a key and print it once: it is stored only as a hash."""
    from voxserve.security.keys import store_for

    key, token = store_for(Settings().data_dir).create(name)
    click.echo(token)
    click.echo(f"created {key.id} ({name}); this key is not shown again", err=True)


@keys.command("list")
def keys_list() -> None:
    """Show every key: id, name, start of the key, created, last used, state (never the key)."""
    from voxserve.security.keys import store_for

    click.echo(f"{'id':<17} {'name':<20} {'key':<11} {'created':<19}  {'last used':<19}  state")
    for key in store_for(Settings().data_dir).all():
        state = "active" if key.active else f"revoked {_when(key.revoked)}"
        click.echo(
            f"{key.id:<17} {key.name:<20} {key.hint:<11} {_when(key.created):<19}  "
            f"{_when(key.last_used):<19}  {state}"
        )


@keys.command("revoke")
@click.argument("key_id", metavar="ID")
def keys_revoke(key_id: str) -> None:
    """Revoke key ID for good (a running server refuses it at once)."""
    from voxserve.security.keys import store_for

    key = store_for(Settings().data_dir).revoke(key_id)
    click.echo(f"revoked {key.id} ({key.name})")


@cli.group()
def models() -> None:
    """Build and inspect model assets (the model store)."""


@models.command("list")
def models_list() -> None:
    """Show every known model: installed or not, source, size, licence."""
    from voxserve.models import ModelStore

    store = ModelStore(Settings())
    for name in store.known():
        info = store.describe(name)
        state = f"installed {info.size_bytes / 1e6:.1f} MB" if info.installed else "not built"
        if info.outdated:
            state = "outdated: rebuild"
        click.echo(f"{name:<10} {state:<20} {info.source}  {info.path}")
        if info.installed and info.license_summary:
            click.echo(f"           licence: {info.license_summary}")


@models.command("build")
@click.argument("name")
@click.option("--force", is_flag=True, help="Rebuild even if the model is installed and intact.")
def models_build(name: str, force: bool) -> None:
    """Build model NAME into the model store (idempotent)."""
    from voxserve.models import ModelStore

    path = ModelStore(Settings()).build(name, force=force, progress=click.echo)
    click.echo(f"{name}: ready at {path}")


@models.command("verify")
@click.argument("name")
def models_verify(name: str) -> None:
    """Check model NAME's files against its manifest's checksums."""
    from voxserve.models import ModelStore

    ModelStore(Settings()).verify(name)
    click.echo(f"{name}: ok")


cli.add_command(lexicons)

if __name__ == "__main__":
    main()
