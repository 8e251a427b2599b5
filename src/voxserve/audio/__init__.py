"""voxserve.audio: encoders (streamed and whole-file), resampling, loudness and joins."""

from voxserve.audio.base import StreamEncoder
from voxserve.audio.encode import (
    CONTENT_TYPES,
    audio_format,
    codec_rate,
    content_type,
    encode,
    encode_pieces,
    encoder_priming,
    open_encoder,
    supported_rates,
)
from voxserve.audio.join import crossfade_join, fade_edges, fade_in, fade_out, silence
from voxserve.audio.loudness import active_rms_db, apply_gain_db, peak_db, peak_limit, rms_db
from voxserve.audio.resample import StreamResampler, resample

__all__ = [
    "CONTENT_TYPES",
    "StreamEncoder",
    "StreamResampler",
    "active_rms_db",
    "apply_gain_db",
    "audio_format",
    "codec_rate",
    "content_type",
    "crossfade_join",
    "encode",
    "encode_pieces",
    "encoder_priming",
    "fade_edges",
    "fade_in",
    "fade_out",
    "open_encoder",
    "peak_db",
    "peak_limit",
    "resample",
    "rms_db",
    "silence",
    "supported_rates",
]
