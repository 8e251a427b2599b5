"""Request bodies of the HTTP API: validation, and the synthesis request they describe."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from voxserve.errors import UnknownFormatError
from voxserve.text.lexicon import Lexicon
from voxserve.text.ssml import is_ssml
from voxserve.types import AudioFormat, SynthesisRequest


def audio_format(name: str, param: str) -> AudioFormat:
    """Parse a format name; an unknown one names ``param`` and the allowed values."""
    try:
        return AudioFormat(name.lower())
    except ValueError:
        raise UnknownFormatError(name, [f.value for f in AudioFormat], param=param) from None


_LEXICONS_DOC = "Names of pronunciation lexicons (/v1/lexicons) to apply, the last winning."
_SSML_DOC = "The text is an SSML document (default: when it starts with <speak)."
_TIMESTAMPS_DOC = (
    "Answer JSON with the audio (base64) and when each token and sentence is heard; with "
    "stream, SSE unit events carry their tokens (stream_format must be sse)."
)
_TEXT_DOC = "Text to speak (Chinese and/or English; numbers, dates and money are read out)."


class VoiceParams(BaseModel):
    """How to speak: the fields the native API and WebSocket configs share."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    voice: str | None = Field(default=None, description="Voice id from /v1/voices, or zh / en.")
    emotion: str = Field(default="neutral", description="An emotion from /v1/emotions.")
    intensity: float = Field(default=1.0, ge=0.0, le=2.0, description="Emotion strength.")
    speed: float = Field(default=1.0, ge=0.25, le=4.0, description="Speaking rate multiplier.")
    pitch: float = Field(default=0.0, ge=-12.0, le=12.0, description="Pitch offset, semitones.")
    volume: float = Field(default=0.0, ge=-30.0, le=12.0, description="Volume offset, dB.")
    format: str = Field(default="wav", description="wav, mp3, opus, aac, flac or pcm (s16le).")
    sample_rate: int | None = Field(
        default=None, ge=8000, le=48000, description="Output rate in Hz (default: the voice's)."
    )
    lexicons: list[str] = Field(default_factory=list, description=_LEXICONS_DOC)
    ssml: bool | None = Field(default=None, description=_SSML_DOC)

    def synthesis_request(self, text: str, lexicon: Lexicon | None = None) -> SynthesisRequest:
        """These parameters applied to ``text`` with the pronunciations of the lexicons named
        (resolved by the caller); raises UnknownFormatError for a bad format."""
        return SynthesisRequest(
            text=text,
            voice=self.voice,
            emotion=self.emotion,
            intensity=self.intensity,
            speed=self.speed,
            pitch=self.pitch,
            volume=self.volume,
            format=audio_format(self.format, "format"),
            sample_rate=self.sample_rate,
            lexicon=lexicon or Lexicon(),
            ssml=is_ssml(text) if self.ssml is None else self.ssml,
        )


class TTSBody(VoiceParams):
    """``POST /v1/tts``: voxserve's native request."""

    text: str = Field(min_length=1, description=_TEXT_DOC)
    stream: bool = Field(default=False, description="Send audio as it is synthesized (chunked).")
    stream_format: Literal["audio", "sse"] = Field(
        default="audio", description="With stream: raw audio chunks, or SSE progress events."
    )
    timestamps: bool = Field(default=False, description=_TIMESTAMPS_DOC)

    @model_validator(mode="after")
    def _timestamps_need_a_channel(self) -> TTSBody:
        if self.timestamps and self.stream and self.stream_format != "sse":
            raise ValueError(
                "timestamps cannot ride on a raw audio stream: use stream_format 'sse' "
                "(or no stream, for JSON with the audio and its timestamps)"
            )
        return self


class PhonemizeBody(BaseModel):
    """``POST /v1/phonemize``: a text to read without speaking it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(min_length=1, description=_TEXT_DOC)
    lexicons: list[str] = Field(default_factory=list, description=_LEXICONS_DOC)
    ssml: bool | None = Field(default=None, description=_SSML_DOC)

    @property
    def is_ssml(self) -> bool:
        return is_ssml(self.text) if self.ssml is None else self.ssml


class SpeechBody(BaseModel):
    """``POST /v1/audio/speech``: OpenAI's request shape; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", strict=True, allow_inf_nan=False)

    model: str = Field(description="tts-1, tts-1-hd, gpt-4o-mini-tts, voxserve or an engine name.")
    input: str = Field(min_length=1, description=_TEXT_DOC)
    voice: str = Field(description="OpenAI voice name (alloy, nova...) or a voxserve voice id.")
    response_format: str = Field(default="mp3", description="mp3, opus, aac, flac, wav or pcm.")
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    instructions: str | None = Field(
        default=None,
        max_length=4096,
        description="Style, e.g. 'speak cheerfully' or '用悲伤的语气'.",
    )
    stream_format: Literal["audio", "sse"] = Field(
        default="audio", description="audio: the body streams as it is made; sse: OpenAI events."
    )
    lexicons: list[str] = Field(default_factory=list, description=_LEXICONS_DOC)
    stream: bool = Field(default=True, description="false: one complete file with exact headers.")


class StreamConfig(VoiceParams):
    """The first message of a ``WS /v1/stream`` session (pcm by default, for players)."""

    format: str = Field(default="pcm", description="wav, mp3, opus, aac, flac or pcm (s16le).")
    timestamps: bool = Field(
        default=False,
        description="Each sentence_end event carries the sentence's tokens with start_ms/end_ms.",
    )
