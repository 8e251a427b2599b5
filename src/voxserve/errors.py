"""The voxserve error tree.

Every error a user can cause or meet is a :class:`VoxError` subclass with a stable ``code``,
a message written for people, and (where one input is to blame) the ``param`` that caused it.
Domain code raises these; the HTTP layer and the CLI translate them in one place each.

::

    VoxError
    ├── InputError                 the request is wrong (HTTP 4xx, CLI exit 2)
    │   ├── EmptyTextError         nothing speakable in the text
    │   ├── TextTooLongError       text over the configured limit
    │   ├── InvalidTextError       control characters, undecodable bytes
    │   │   ├── InvalidPinyinError a given reading that is not a Mandarin syllable (422)
    │   │   └── InvalidMarkupError malformed XML (SSML), or XML with a DTD or entities
    │   ├── UnknownVoiceError
    │   ├── UnknownEmotionError
    │   ├── UnknownFormatError
    │   ├── OutOfRangeError        a number outside its allowed range (or NaN/inf)
    │   ├── InvalidWebhookError    a webhook URL that is malformed or not allowed (422)
    │   ├── JobNotFoundError       no job has this id (404)
    │   ├── JobStateError          the job's status does not allow this (409)
    │   ├── CaptionsUnavailableError  a job finished before timestamps were kept (404)
    │   ├── InvalidLexiconError    a lexicon entry that cannot be used, or over a limit (422)
    │   └── LexiconNotFoundError   no lexicon of the caller has this name (404)
    ├── ModelError                 a model asset is missing or damaged (says how to rebuild)
    │   ├── ModelMissingError
    │   ├── ModelCorruptError
    │   └── ModelOutdatedError     built by an older recipe than this voxserve needs
    ├── AccessError                who is asking may not do this now (carries response headers)
    │   ├── AuthenticationError    missing or unknown API key (401, WWW-Authenticate: Bearer)
    │   └── RateLimitedError       over a per-key (or per-address) limit (429, Retry-After)
    ├── EngineError                an engine failed on valid input
    └── CapacityError              the service cannot take the work now
        ├── OverloadedError        queue full (429, with retry_after)
        ├── DeadlineExceededError  the request ran out of time (504)
        ├── UnavailableError       no worker can serve it (503)
        │   └── SharedStateError   the shared state (Redis) cannot be reached (503)
        └── StorageError           the data directory cannot be written (503)
            └── StorageFullError   ... because its disk is full (507)
"""

from __future__ import annotations

import errno
from collections.abc import Iterable


class VoxError(Exception):
    """Base of every voxserve error."""

    code = "internal_error"

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class InputError(VoxError):
    code = "invalid_request"


class EmptyTextError(InputError):
    code = "empty_text"

    def __init__(self, message: str = "text has nothing to speak", *, param: str = "text") -> None:
        super().__init__(message, param=param)


class TextTooLongError(InputError):
    code = "text_too_long"

    def __init__(self, length: int, limit: int, *, param: str = "text") -> None:
        super().__init__(f"text is {length} characters long; the limit is {limit}", param=param)
        self.length = length
        self.limit = limit


class InvalidTextError(InputError):
    code = "invalid_text"


class InvalidPinyinError(InvalidTextError):
    """A reading given in the text (shorthand or SSML) that is not a Mandarin syllable."""

    code = "invalid_pinyin"

    def __init__(self, syllable: str, why: str, param: str = "text") -> None:
        super().__init__(f"bad pinyin {syllable!r}: {why}", param=param)
        self.syllable = syllable


class InvalidMarkupError(InvalidTextError):
    code = "invalid_markup"


def _choices(allowed: Iterable[str]) -> str:
    return ", ".join(sorted(allowed))


class _UnknownChoiceError(InputError):
    what = "value"

    def __init__(self, value: str, allowed: Iterable[str], *, param: str) -> None:
        self.allowed = sorted(allowed)
        super().__init__(
            f"unknown {self.what} {value!r}; allowed: {_choices(self.allowed)}", param=param
        )


class UnknownVoiceError(_UnknownChoiceError):
    code = "unknown_voice"
    what = "voice"

    def __init__(self, value: str, allowed: Iterable[str], *, param: str = "voice") -> None:
        super().__init__(value, allowed, param=param)


class UnknownEmotionError(_UnknownChoiceError):
    code = "unknown_emotion"
    what = "emotion"

    def __init__(self, value: str, allowed: Iterable[str], *, param: str = "emotion") -> None:
        super().__init__(value, allowed, param=param)


class UnknownFormatError(_UnknownChoiceError):
    code = "unknown_format"
    what = "format"

    def __init__(self, value: str, allowed: Iterable[str], *, param: str = "format") -> None:
        super().__init__(value, allowed, param=param)


class OutOfRangeError(InputError):
    code = "out_of_range"

    def __init__(self, param: str, value: float, low: float, high: float) -> None:
        super().__init__(
            f"{param} must be between {low:g} and {high:g}; got {value!r}", param=param
        )
        self.low = low
        self.high = high


class InvalidWebhookError(InputError):
    code = "invalid_webhook_url"

    def __init__(self, message: str, *, param: str = "webhook_url") -> None:
        super().__init__(message, param=param)


class JobNotFoundError(InputError):
    code = "job_not_found"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job {job_id!r} (it may have expired)", param="id")


class JobStateError(InputError):
    """What was asked needs another status (audio of a running job, cancelling a finished one)."""

    code = "job_state"

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message, param="id")
        self.job_status = status


class CaptionsUnavailableError(InputError):
    """A succeeded job has no timestamps (it finished before voxserve kept them)."""

    code = "captions_unavailable"

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"job {job_id!r} has no captions: it finished before this server kept timestamps",
            param="id",
        )


class InvalidLexiconError(InputError):
    """A lexicon (or one of its entries, named by ``param``) that cannot be stored or used."""

    code = "invalid_lexicon"


class LexiconNotFoundError(InputError):
    code = "lexicon_not_found"

    def __init__(self, name: str, *, param: str | None = None) -> None:
        super().__init__(f"no lexicon named {name!r}", param=param)


class ModelError(VoxError):
    code = "model_error"

    def __init__(self, model: str, problem: str) -> None:
        super().__init__(
            f"model {model!r} {problem}; rebuild it with: voxserve models build {model}"
        )
        self.model = model


class ModelMissingError(ModelError):
    code = "model_missing"

    def __init__(self, model: str, detail: str = "is not installed") -> None:
        super().__init__(model, detail)


class ModelCorruptError(ModelError):
    code = "model_corrupt"

    def __init__(self, model: str, detail: str = "is damaged") -> None:
        super().__init__(model, detail)


class ModelOutdatedError(ModelError):
    code = "model_outdated"

    def __init__(self, model: str, built: int, needed: int) -> None:
        super().__init__(
            model, f"was built by recipe version {built}; this voxserve needs version {needed}"
        )
        self.built, self.needed = built, needed


def error_class(code: str) -> type[VoxError]:
    """The most specific error class with ``code`` (``VoxError`` if none has it).

    Lets an error that crossed a process boundary as a code keep its meaning (and HTTP status).
    """
    pending: list[type[VoxError]] = [VoxError]
    found: type[VoxError] = VoxError
    while pending:
        kind = pending.pop()
        if kind.code == code and issubclass(kind, found):
            found = kind
        pending.extend(kind.__subclasses__())
    return found


class EngineError(VoxError):
    code = "engine_error"


class CapacityError(VoxError):
    code = "capacity"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OverloadedError(CapacityError):
    code = "overloaded"


class DeadlineExceededError(CapacityError):
    code = "deadline_exceeded"


class UnavailableError(CapacityError):
    code = "unavailable"


class SharedStateError(UnavailableError):
    """The shared state of a scaled-out service (Redis) cannot be reached or refuses writes; the
    operation may succeed once it is back (503 with Retry-After)."""

    def __init__(self, message: str, *, retry_after: float | None = 2.0) -> None:
        super().__init__(message, retry_after=retry_after)


class StorageError(CapacityError):
    """Service state (jobs, cache) cannot be written: a read-only or unwritable directory."""

    code = "storage_unavailable"

    def __init__(self, message: str, *, retry_after: float | None = 30.0) -> None:
        super().__init__(message, retry_after=retry_after)


class StorageFullError(StorageError):
    """Service state cannot be written because the disk (or a quota) is full."""

    code = "storage_full"


_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_UNWRITABLE_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO})


def storage_error(exc: OSError, where: object) -> StorageError | None:
    """The StorageError that ``exc`` (met writing under ``where``) amounts to, or None when it is
    not a storage condition (a missing file, say) and should stay what it is."""
    if exc.errno in _FULL_ERRNOS:
        return StorageFullError(f"no space left for {where} ({exc.strerror}); free some disk")
    if exc.errno in _UNWRITABLE_ERRNOS:
        return StorageError(f"{where} cannot be written ({exc.strerror}); make it writable")
    return None


def database_error(exc: Exception, where: object) -> StorageError | None:
    """:func:`storage_error` for an error of SQLite (``sqlite3.OperationalError``, by its
    ``sqlite_errorname``) or of the file system under it."""
    if isinstance(exc, OSError):
        return storage_error(exc, where)
    name = getattr(exc, "sqlite_errorname", "")
    if name == "SQLITE_FULL":
        return StorageFullError(f"no space left for {where} ({exc}); free some disk")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR")):
        return StorageError(f"{where} cannot be written ({exc}); make it writable")
    return None


class AccessError(VoxError):
    """The caller may not do this now; ``headers`` go on the HTTP answer."""

    code = "access_denied"

    def __init__(
        self, message: str, *, headers: dict[str, str] | None = None, param: str | None = None
    ) -> None:
        super().__init__(message, param=param)
        self.headers = dict(headers or {})


class AuthenticationError(AccessError):
    """No API key, or one that is unknown or revoked."""

    code = "invalid_api_key"

    def __init__(self, message: str, *, code: str = "invalid_api_key") -> None:
        error = "invalid_token" if code == "invalid_api_key" else None
        challenge = 'Bearer realm="voxserve"' + (f', error="{error}"' if error else "")
        super().__init__(message, headers={"WWW-Authenticate": challenge})
        self.code = code


class RateLimitedError(AccessError):
    """A per-key limit is used up; ``retry_after`` seconds until it allows the request."""

    code = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        code: str = "rate_limited",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, headers=headers)
        self.code = code
        self.retry_after = retry_after
