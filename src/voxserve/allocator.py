"""glibc malloc settings for long-running processes.

The service keeps many large, short-lived buffers: encoded answers and sentence audio of 0.1 to
2 MB pass through the in-memory cache, the job assembler and the worker protocol. glibc raises
its mmap threshold each time such a buffer is freed, after which they are carved from the heap
and its per-thread arenas, where freed holes are reused only by buffers that fit: resident
memory creeps up for hours while the Python heap stays flat. A fixed threshold keeps every
large buffer in its own mapping, returned to the system when freed, and a small arena count
bounds what the thread pool can hold on to.

Worker processes keep glibc's sliding threshold: their signal processing allocates and frees
large arrays by the thousand per sentence, and a mapping for each (zeroed pages, a system call to
make and another to drop) doubles the cost of emotional speech.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import platform

from voxserve.settings import Settings

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
"""mallopt parameters, from glibc's malloc.h."""


def tune_allocator(settings: Settings, *, worker: bool = False) -> dict[str, int]:
    """Apply ``malloc_arena_max`` and, unless this is a ``worker``, ``malloc_mmap_threshold`` to
    this process where the C library is glibc; a value of 0, or the matching ``MALLOC_*``
    environment variable, leaves glibc's own choice. Returns what was set."""
    wanted = {"MALLOC_ARENA_MAX": (_M_ARENA_MAX, settings.malloc_arena_max)}
    if not worker:
        wanted["MALLOC_MMAP_THRESHOLD_"] = (_M_MMAP_THRESHOLD, settings.malloc_mmap_threshold)
    wanted = {k: v for k, v in wanted.items() if v[1] > 0 and k not in os.environ}
    if not wanted or platform.libc_ver()[0] != "glibc":
        return {}
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    applied = {}
    for name, (parameter, value) in wanted.items():
        if libc.mallopt(ctypes.c_int(parameter), ctypes.c_int(value)) == 1:
            applied[name] = value
        else:
            log.warning("mallopt refused %s=%d", name, value)
    return applied
