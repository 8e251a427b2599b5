"""ctypes bindings to the libespeak-ng 1.52 bundled by the ``espeakng-loader`` package.

libespeak-ng keeps all of its state in globals and is not thread-safe, so this module owns the
one process-wide handle: :func:`espeak_library` initializes it once (synchronous output, samples
delivered to a callback) and every call into the library goes through :data:`LOCK`. Anything else
in the process that wants libespeak-ng (phonemization, say) must use this module, not its own
``ctypes.CDLL``: the dynamic loader would hand it the same global state.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt

from voxserve.errors import EngineError, ModelMissingError

LOCK = threading.RLock()
"""Serializes every call into libespeak-ng (global state)."""

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_EE_OK = 0
_BUFFER_MS = 200
# espeak-ng copies the data path into a fixed buffer of this size (N_PATH_HOME).
_MAX_DATA_PATH = 160


class Parameter(IntEnum):
    """``espeak_PARAMETER`` values used here."""

    RATE = 1
    VOLUME = 2
    PITCH = 3
    RANGE = 4


class _VoiceStruct(ctypes.Structure):
    # ``languages`` is a list of (priority byte, NUL-terminated code) ending with a zero byte,
    # so it is read as raw memory, not as a C string.
    _fields_ = (
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


class _EventStruct(ctypes.Structure):
    # espeak_EVENT; ``id`` is a union of an int, a char pointer and 8 chars.
    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    )


_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_EventStruct)
)


@dataclass(frozen=True)
class WordEvent:
    """Where espeak-ng began a word: its characters in the text and the audio."""

    text_start: int
    """Index (0-based, in code points) of the word's first character in the text spoken."""
    length: int
    """The word's length in characters."""
    audio_ms: int
    """Milliseconds from the start of the audio to the word."""


@dataclass(frozen=True)
class VoiceInfo:
    """One entry of ``espeak_ListVoices``."""

    name: str
    """Display name, e.g. ``English (America)``."""
    identifier: str
    """Voice file path under espeak-ng-data/voices or lang, e.g. ``gmw/en-US``."""
    languages: tuple[str, ...]
    """Language codes in espeak's priority order, e.g. ``("en-us",)``."""
    gender: str

    @property
    def basename(self) -> str:
        """The identifier's last component (``en-US`` for ``gmw/en-US``)."""
        return self.identifier.rsplit("/", 1)[-1]


_GENDERS = {1: "male", 2: "female"}


def _read_languages(address: int | None) -> tuple[str, ...]:
    codes: list[str] = []
    if not address:
        return ()
    offset = 0
    while ctypes.c_ubyte.from_address(address + offset).value != 0:
        code = ctypes.string_at(address + offset + 1)
        codes.append(code.decode("utf-8", "replace"))
        offset += len(code) + 2
    return tuple(codes)


def _voice_info(struct: _VoiceStruct) -> VoiceInfo:
    return VoiceInfo(
        name=(struct.name or b"").decode("utf-8", "replace").strip(),
        identifier=(struct.identifier or b"").decode("utf-8", "replace"),
        languages=_read_languages(struct.languages),
        gender=_GENDERS.get(struct.gender, "unknown"),
    )


def _declare(lib: ctypes.CDLL) -> None:
    lib.espeak_Initialize.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int)
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Info.argtypes = (ctypes.c_void_p,)
    lib.espeak_Info.restype = ctypes.c_char_p
    lib.espeak_SetSynthCallback.argtypes = (_SynthCallback,)
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = (ctypes.c_char_p,)
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int)
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_ListVoices.argtypes = (ctypes.POINTER(_VoiceStruct),)
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_VoiceStruct))
    lib.espeak_Synth.argtypes = (
        ctypes.c_char_p,  # text
        ctypes.c_size_t,  # size of the buffer, terminator included
        ctypes.c_uint,  # position
        ctypes.c_int,  # position type
        ctypes.c_uint,  # end position
        ctypes.c_uint,  # flags
        ctypes.c_void_p,  # unique identifier (out)
        ctypes.c_void_p,  # user data
    )
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_TextToPhonemes.argtypes = (
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_int,
        ctypes.c_int,
    )
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p


_PHONEMES_IPA = 0x02
"""espeak_TextToPhonemes mode: IPA symbols (bit 1), no separator between phonemes."""


class EspeakLibrary:
    """The initialized libespeak-ng of this process. Get it from :func:`espeak_library`."""

    def __init__(self, library_path: str, data_path: str) -> None:
        if len(data_path.encode()) >= _MAX_DATA_PATH:
            raise ModelMissingError(
                "espeak", f"data path is too long for libespeak-ng: {data_path}"
            )
        try:
            self._lib = ctypes.CDLL(library_path)
        except OSError as exc:
            raise ModelMissingError("espeak", f"cannot load {library_path}: {exc}") from exc
        _declare(self._lib)
        self._chunks: list[bytes] = []
        self._words: list[WordEvent] = []
        # Kept on the instance: libespeak-ng holds a raw pointer to it.
        self._callback = _SynthCallback(self._collect)
        self._voice = ""
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data_path.encode(), _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise ModelMissingError("espeak", f"libespeak-ng failed to initialize ({rate})")
        self.sample_rate: int = rate
        self._lib.espeak_SetSynthCallback(self._callback)
        self.version: str = (self._lib.espeak_Info(None) or b"").decode()

    def _collect(
        self,
        wav: ctypes._Pointer[ctypes.c_short],
        count: int,
        events: ctypes._Pointer[_EventStruct],
    ) -> int:
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        index = 0
        while events and events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == _EVENT_WORD:
                self._words.append(
                    WordEvent(event.text_position - 1, event.length, event.audio_position)
                )
            index += 1
        return 0  # 0 = go on synthesizing

    def list_voices(self, variants: bool = False) -> list[VoiceInfo]:
        """Every installed voice (or, with ``variants``, every voice variant such as ``f3``)."""
        spec = _VoiceStruct()
        selector = ctypes.create_string_buffer(b"variant")
        if variants:
            spec.languages = ctypes.cast(selector, ctypes.c_void_p).value
        with LOCK:
            array = self._lib.espeak_ListVoices(ctypes.byref(spec) if variants else None)
            voices: list[VoiceInfo] = []
            index = 0
            while array[index]:
                voices.append(_voice_info(array[index].contents))
                index += 1
        return voices

    def synthesize(
        self, text: str, voice: str, parameters: Mapping[Parameter, int]
    ) -> npt.NDArray[np.int16]:
        """Speak ``text`` with ``voice`` (a name ``espeak_SetVoiceByName`` accepts)."""
        return self.synthesize_words(text, voice, parameters)[0]

    def synthesize_words(
        self, text: str, voice: str, parameters: Mapping[Parameter, int]
    ) -> tuple[npt.NDArray[np.int16], list[WordEvent]]:
        """:meth:`synthesize`, with where each word began."""
        # A NUL would end the C string early and drop the rest of the text.
        data = text.replace("\0", " ").encode("utf-8") + b"\0"
        with LOCK:
            self._select_voice(voice)
            for parameter, value in parameters.items():
                self._check(self._lib.espeak_SetParameter(parameter, value, 0), "SetParameter")
            self._chunks, self._words = [], []
            status = self._lib.espeak_Synth(
                data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            chunks, self._chunks = self._chunks, []
            words, self._words = self._words, []
        self._check(status, "Synth")
        return np.frombuffer(b"".join(chunks), dtype=np.int16), words

    def phonemes(self, text: str, voice: str = "en-us") -> str:
        """``text``'s phonemes in IPA, as ``voice`` would speak them (clauses joined by spaces)."""
        buffer = ctypes.create_string_buffer(text.replace("\0", " ").encode("utf-8"))
        pointer = ctypes.c_void_p(ctypes.addressof(buffer))
        clauses: list[str] = []
        with LOCK:
            self._select_voice(voice)
            # Each call reads one clause and moves the pointer past it (NULL at the end).
            while pointer.value:
                out = self._lib.espeak_TextToPhonemes(
                    ctypes.byref(pointer), _CHARS_UTF8, _PHONEMES_IPA
                )
                if out:
                    clauses.append(out.decode("utf-8", "replace").strip())
        return " ".join(c for c in clauses if c)

    def _select_voice(self, voice: str) -> None:
        # Loading a voice reads its files (milliseconds, more for big dictionaries): skip repeats.
        if voice != self._voice:
            self._check(self._lib.espeak_SetVoiceByName(voice.encode()), f"SetVoiceByName({voice})")
            self._voice = voice

    @staticmethod
    def _check(status: int, call: str) -> None:
        if status != _EE_OK:
            raise EngineError(f"espeak-ng {call} failed with status {status}")


_library: EspeakLibrary | None = None


def bundled_paths() -> tuple[str, str] | None:
    """(library, data directory) from ``espeakng-loader``, or None if it is not installed."""
    try:
        import espeakng_loader
    except ImportError:
        return None
    library = str(espeakng_loader.get_library_path())
    data = str(Path(library).parent / "espeak-ng-data")
    if not Path(library).is_file() or not Path(data).is_dir():
        return None
    return library, data


def espeak_library() -> EspeakLibrary:
    """The process's libespeak-ng, initialized on first use."""
    global _library
    with LOCK:
        if _library is None:
            paths = bundled_paths()
            if paths is None:
                raise ModelMissingError("espeak", "needs the espeakng-loader package")
            _library = EspeakLibrary(*paths)
        return _library
