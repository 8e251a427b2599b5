"""nginx in front of voxserve replicas, from the example config in ``deploy/nginx``.

The example (an ``http {}``-context file for ``/etc/nginx/conf.d``) is rendered with the
replicas' addresses, a free port and a temporary log directory, and wrapped in a minimal main
configuration whose paths all lie in a temporary prefix, so that it runs beside (and apart
from) the system's nginx: nothing under /etc or /var is read or written.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from tests.support.server import free_port

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "voxserve.conf"


def nginx_binary() -> str | None:
    """The nginx executable (Debian puts it in /usr/sbin, which may not be on PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None


def render(example: str, upstreams: Sequence[str], port: int, log_dir: Path) -> str:
    """The example config with ``upstreams`` (host:port) as its servers, listening on
    127.0.0.1:``port`` and logging into ``log_dir``."""
    lines = re.findall(r"^ *server 127\.0\.0\.1:\d+ (.*);$", example, flags=re.M)
    if not lines:
        raise ValueError("no upstream server lines in the example")
    options = lines[0]
    servers = "".join(f"    server {u} {options};\n" for u in upstreams)
    text, count = re.subn(r"(?:^ *server 127\.0\.0\.1:\d+ .*;\n)+", servers, example, flags=re.M)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    text = text.replace("/var/log/nginx/", f"{log_dir}/")
    if count != 1 or f"127.0.0.1:{port};" not in text:
        raise ValueError("the example's upstream or listen lines changed shape")
    return text


def main_config(prefix: Path, site: Path) -> str:
    """A main nginx.conf whose every path lies under ``prefix``, including ``site``."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers may write the temp dirs
    temp = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\n"
        "events { worker_connections 512; }\n"
        "http {\n"
        f"{temp}\n"
        f"    access_log {prefix}/access.log;\n"
        f"    include {site};\n"
        "}\n"
    )


class NginxProcess:
    """nginx with the example config in front of ``upstreams``; ``url`` is where it listens."""

    def __init__(self, upstreams: Sequence[str], binary: str | None = None) -> None:
        found = binary or nginx_binary()
        if found is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        self.binary = found
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._dir = tempfile.TemporaryDirectory(prefix="voxserve-nginx-")
        self.prefix = Path(self._dir.name)
        site = self.prefix / "voxserve.conf"
        site.write_text(render(EXAMPLE.read_text(), upstreams, self.port, self.prefix))
        self.config = self.prefix / "nginx.conf"
        self.config.write_text(main_config(self.prefix, site))
        self.process: subprocess.Popen[bytes] | None = None

    def access_log(self) -> str:
        """What nginx logged with the example's ``voxserve`` log format."""
        path = self.prefix / "voxserve.access.log"
        return path.read_text() if path.exists() else ""

    def logged(self, pattern: str, count: int = 1, timeout: float = 3.0) -> list[str]:
        """Matches of ``pattern`` in the access log once it has ``count`` of them (nginx writes
        a line after the answer has left, so a client may see the answer first)."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.findall(pattern, self.access_log())
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def start(self, timeout: float = 10.0) -> NginxProcess:
        argv = [self.binary, "-c", str(self.config), "-p", str(self.prefix)]
        check = subprocess.run([*argv, "-t"], capture_output=True, check=False)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed: {check.stderr.decode(errors='replace')}")
        log = (self.prefix / "error.log").open("wb")
        self.process = subprocess.Popen(
            [*argv, "-g", "daemon off; error_log stderr;"], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.error_log()}")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{self.url}/healthz", timeout=1.0)
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("nginx did not start listening")

    def error_log(self) -> str:
        return (self.prefix / "error.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._dir.cleanup()
