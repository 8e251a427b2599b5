"""The Ogg Opus stream's pages: checksums, flags and granule positions."""

from __future__ import annotations

import struct

import av
import numpy as np
from audio_testkit import speech_like, uneven_chunks

from voxserve.audio import open_encoder
from voxserve.audio.ogg import OggPageWriter, ogg_crc
from voxserve.types import AudioFormat


def pages(data: bytes) -> list[tuple[int, int, list[bytes]]]:
    """(flags, granule, packets) of each page, checking every page's CRC on the way."""
    out = []
    at = 0
    while at < len(data):
        assert data[at : at + 4] == b"OggS"
        flags, granule, _serial, _seq, crc, count = struct.unpack("<BqIIIB", data[at + 5 : at + 27])
        lacing = data[at + 27 : at + 27 + count]
        end = at + 27 + count + sum(lacing)
        page = data[at:end]
        assert ogg_crc(page[:22] + b"\0\0\0\0" + page[26:]) == crc
        body, packets, size = page[27 + count :], [], 0
        for value in lacing:
            size += value
            if value < 255:
                packets.append(body[:size])
                body, size = body[size:], 0
        out.append((flags, granule, packets))
        at = end
    return out


def test_ogg_crc_matches_ffmpeg_pages() -> None:
    import io

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=24000, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            speech_like(24000, seconds=0.3).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate = 24000
        frame.pts = 0
        container.mux(stream.encode(frame) + stream.encode(None))
    assert len(pages(buffer.getvalue())) >= 3


def test_opus_stream_layout_and_final_granule() -> None:
    pcm = speech_like(24000)
    encoder = open_encoder(AudioFormat.OPUS, 24000)
    data = b"".join(encoder.feed(c) for c in uneven_chunks(pcm)) + encoder.finish()
    found = pages(data)
    head, tags, audio = found[0], found[1], found[2:]
    assert head[0] == 0x02 and head[2][0].startswith(b"OpusHead")
    assert tags[2][0].startswith(b"OpusTags")
    assert all(flags == 0 for flags, _, _ in audio[:-1])
    assert audio[-1][0] == 0x04
    pre_skip = struct.unpack("<H", head[2][0][10:12])[0]
    assert audio[-1][1] == pre_skip + 2 * pcm.size
    granules = [granule for _, granule, _ in audio]
    assert granules == sorted(granules)


def test_opus_page_holds_at_most_255_segments() -> None:
    encoder = open_encoder(AudioFormat.OPUS, 8000)
    data = encoder.feed(np.zeros(8000 * 12, dtype=np.float32)) + encoder.finish()
    assert len(pages(data)) > 3


def test_writer_ends_an_exhausted_stream_with_an_empty_page() -> None:
    writer = OggPageWriter(serial=7)
    first = writer.pages([b"abc", b"d" * 300], [10, 20])
    last = writer.pages([], [], last=True)
    (flags_1, granule_1, packets_1), (flags_2, granule_2, packets_2) = pages(first + last)
    assert (flags_1, granule_1, packets_1) == (0x02, 20, [b"abc", b"d" * 300])
    assert (flags_2, granule_2, packets_2) == (0x04, 20, [])
