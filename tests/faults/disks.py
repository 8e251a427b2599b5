"""Disks that fill up or turn read-only on demand, for the storage fault tests.

As root with mount rights (CI, the usual container), a full disk is a real small tmpfs filled
with a ballast file and a read-only directory is a read-only bind mount: the kernel answers
ENOSPC and EROFS as it would in production. Without mount rights, the same faults are
approximated: RLIMIT_FSIZE on the server process (writes fail with EFBIG; Python ignores
SIGXFSZ) and a directory without write permission (EACCES).
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

_BALLAST = "ballast"


def _mount(*args: str) -> bool:
    """Run mount (or umount with ``args[0] == "-u"``); whether it succeeded."""
    command = ["umount", *args[1:]] if args[0] == "-u" else ["mount", *args]
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


class FillableDisk:
    """A directory whose disk can be filled (:meth:`fill`) and freed again (:meth:`free`)."""

    def __init__(self, path: Path, size_mb: int = 16) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.tmpfs = os.geteuid() == 0 and _mount(
            "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)
        )
        self._pid: int | None = None
        self._limit: tuple[int, int] | None = None

    def fill(self, server_pid: int) -> None:
        """Leave no space: the next write that needs a new block fails."""
        if not self.tmpfs:
            self._limit = resource.prlimit(server_pid, resource.RLIMIT_FSIZE)
            resource.prlimit(server_pid, resource.RLIMIT_FSIZE, (0, self._limit[1]))
            self._pid = server_pid
            return
        # Unbuffered: a short write fills the last free page, the next one fails with ENOSPC.
        with (self.path / _BALLAST).open("ab", buffering=0) as ballast:
            block = b"\0" * (1 << 16)
            with contextlib.suppress(OSError):
                while ballast.write(block):
                    pass

    def free(self) -> None:
        """Give the space back."""
        if self._pid is not None and self._limit is not None:
            with contextlib.suppress(ProcessLookupError):
                resource.prlimit(self._pid, resource.RLIMIT_FSIZE, self._limit)
            self._pid = None
            return
        (self.path / _BALLAST).unlink(missing_ok=True)

    def close(self) -> None:
        """Unmount (after the server using it has stopped)."""
        self.free()
        if self.tmpfs:
            _mount("-u", str(self.path))


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[str]:
    """``path`` read-only for the server while inside; yields how (``"mount"`` or ``"chmod"``).

    Root ignores permissions, so as root this needs a read-only bind mount; a user without
    mount rights gets a directory tree without write permission instead.
    """
    if os.geteuid() == 0:
        if not _mount("--bind", str(path), str(path)):
            pytest.skip("root ignores permissions, and this root may not mount")
        try:
            if not _mount("-o", "remount,ro,bind", str(path)):
                pytest.skip("root ignores permissions, and this root may not remount")
            yield "mount"
        finally:
            _mount("-u", str(path))
        return
    modes = {p: p.stat().st_mode for p in [path, *path.rglob("*")] if p.is_dir()}
    for directory in modes:
        directory.chmod(0o555)
    try:
        yield "chmod"
    finally:
        for directory, mode in modes.items():
            directory.chmod(mode)
