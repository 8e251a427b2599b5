"""voxserve on Ray Serve: ``voxserve serve --ray`` (needs the ``ray`` extra).

Design: the deployment that Ray replicates and autoscales is the whole voxserve app. Each
replica is a Ray actor that runs the same FastAPI app as ``voxserve serve`` (``create_app``:
admission, fair scheduling, cache, jobs) as its ASGI ingress, with its own pool of
``VOXSERVE_WORKERS`` engine processes. Ray Serve's HTTP proxy takes the requests and forwards
each one to a replica through a streaming deployment handle, so that chunked audio, SSE and
WebSocket sessions leave sentence by sentence as they do without Ray. Ray adds replicas while
the requests in progress per replica exceed ``target_ongoing_requests`` (up to
``max_replicas``, each reserving ``replica_cpus`` of the cluster's CPUs), removes them when the
load falls, restarts dead ones, and places them on any node of a Ray cluster.

Why whole apps and not bare engines behind one front: voxserve's scheduler decides, sentence
by sentence, which request's unit runs next on which worker (a new stream's first sentence
ahead, then earliest deadline first, admission from the queued work, cancellation of a gone
client's sentences). Splitting engines into their own deployment would put Ray's router
between the scheduler and its workers and lose that; replicating the app keeps one scheduler
with its workers per replica, as N plain replicas behind nginx do.

Security: Ray is started with token authentication (``RAY_AUTH_MODE=token``; the token is
``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH``, ``~/.ray/auth_token``, or one voxserve creates),
its files under an explicit temporary directory, no dashboard, and its HTTP proxy on
``VOXSERVE_HOST:VOXSERVE_PORT``. voxserve's API keys and limits apply as without Ray; the
uvicorn header guard (``VOXSERVE_HEADER_TIMEOUT_S``, ``VOXSERVE_MAX_HEADER_BYTES``) does not,
since Ray's proxy runs its own HTTP server.
"""

from __future__ import annotations

import importlib
import os
import secrets
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from voxserve.settings import Settings

APP_NAME = "voxserve"
DEPLOYMENT_NAME = "voxserve"


class RaySettings(BaseSettings):
    """How the Ray Serve profile runs, from ``VOXSERVE_RAY_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="VOXSERVE_RAY_", frozen=True, extra="ignore")

    address: str = ""
    """A running Ray cluster to join (``ray start --head`` on the head node); empty: start a
    local one in this process, with the options below."""

    min_replicas: int = Field(default=1, ge=1)
    max_replicas: int = Field(default=2, ge=1)
    target_ongoing_requests: float = Field(default=4.0, gt=0)
    """Requests in progress per replica that Ray's autoscaler aims at (about 2 per worker:
    one rendering, one waiting)."""

    max_ongoing_requests: int = Field(default=256, ge=1)
    """Requests one replica may hold at once. voxserve queues and refuses (429) by itself, and
    a stream holds its request for its whole length: far above Ray's default of 5."""

    upscale_delay_s: float = Field(default=5.0, ge=0)
    downscale_delay_s: float = Field(default=60.0, ge=0)
    look_back_period_s: float = Field(default=10.0, gt=0)
    metrics_interval_s: float = Field(default=2.0, gt=0)

    replica_cpus: float | None = Field(default=None, gt=0)
    """CPUs each replica reserves (default: its ``VOXSERVE_WORKERS``)."""

    num_cpus: int | None = Field(default=None, ge=1)
    """CPUs of a local cluster (default: every core)."""

    object_store_mb: int = Field(default=200, ge=75)
    """Shared-memory object store of a local cluster; voxserve passes little through it."""

    temp_dir: Path | None = None
    """Ray's session files, logs and sockets (default: ``VOXSERVE_DATA_DIR/ray``). Keep it
    short: Ray's socket paths must fit in 107 bytes."""


def _require_token_auth(settings: Settings) -> None:
    """Token authentication on, before Ray starts or connects (refuse it switched off).

    The token is ``RAY_AUTH_TOKEN``, the file ``RAY_AUTH_TOKEN_PATH``, or Ray's default
    ``~/.ray/auth_token``; with none of them, voxserve creates ``data_dir/ray-auth-token``
    (readable by its owner only) and points ``RAY_AUTH_TOKEN_PATH`` at it. Ray reads
    ``RAY_AUTH_MODE`` into its configuration when it is first imported; where that happened
    before (a test session), the configuration is read again, as ``ray.init`` does when it turns
    token mode on by itself.
    """
    mode = os.environ.setdefault("RAY_AUTH_MODE", "token")
    if mode.lower() != "token":
        raise RuntimeError(f"refusing RAY_AUTH_MODE={mode}: voxserve runs Ray with token auth only")
    given = os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
    if not given and not (Path.home() / ".ray" / "auth_token").exists():
        path = settings.data_dir / "ray-auth-token"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        os.environ["RAY_AUTH_TOKEN_PATH"] = str(path)
    if "ray" in sys.modules:
        importlib.import_module("ray._raylet").Config.initialize("")


def replica_settings(settings: Settings, replica_id: str) -> Settings:
    """One replica's settings: its own data directory (its SQLite jobs and disk cache), so that
    replicas on one node never share files; VOXSERVE_REDIS_URL shares jobs and cache."""
    return settings.model_copy(update={"data_dir": settings.data_dir / "replicas" / replica_id})


def deployment_options(settings: Settings, ray_settings: RaySettings) -> dict[str, Any]:
    """The options of the voxserve deployment (``serve.deployment(**options)``)."""
    cpus = ray_settings.replica_cpus or float(settings.workers)
    return {
        "name": DEPLOYMENT_NAME,
        "max_ongoing_requests": ray_settings.max_ongoing_requests,
        "autoscaling_config": {
            "min_replicas": ray_settings.min_replicas,
            "max_replicas": max(ray_settings.min_replicas, ray_settings.max_replicas),
            "target_ongoing_requests": ray_settings.target_ongoing_requests,
            "upscale_delay_s": ray_settings.upscale_delay_s,
            "downscale_delay_s": ray_settings.downscale_delay_s,
            "look_back_period_s": ray_settings.look_back_period_s,
            "metrics_interval_s": ray_settings.metrics_interval_s,
        },
        "ray_actor_options": {"num_cpus": cpus},
        # Stopping replicas drain like `voxserve serve` does on SIGTERM.
        "graceful_shutdown_timeout_s": settings.drain_timeout_s + 5.0,
        "health_check_timeout_s": 30.0,
    }


def build_app(settings: Settings, ray_settings: RaySettings) -> Any:
    """The Ray Serve application (``serve.run(build_app(...))``)."""
    from ray import serve

    class VoxserveReplica:
        """One replica: the voxserve app, with its own worker pool, as the ASGI ingress."""

        def __init__(self, settings_json: str) -> None:
            replica = serve.get_replica_context().replica_id.unique_id
            self.settings = replica_settings(
                Settings.model_validate_json(settings_json), str(replica)
            )

        def __serve_build_asgi_app__(self) -> Any:
            from voxserve import logs
            from voxserve.api.app import create_app

            logs.configure(self.settings)
            return create_app(self.settings)

    ingress = serve.ingress()(VoxserveReplica)
    deployment = serve.deployment(ingress, **deployment_options(settings, ray_settings))
    return deployment.bind(settings.model_dump_json())


def start(settings: Settings, ray_settings: RaySettings) -> None:
    """Start (or join) Ray with token auth, then Serve's proxy and the voxserve application."""
    _require_token_auth(settings)
    import ray
    from ray import serve

    if ray_settings.address:
        ray.init(address=ray_settings.address, namespace=APP_NAME)
    else:
        temp_dir = ray_settings.temp_dir or settings.data_dir / "ray"
        temp_dir.mkdir(parents=True, exist_ok=True)
        ray.init(
            num_cpus=ray_settings.num_cpus,
            object_store_memory=ray_settings.object_store_mb * 1024 * 1024,
            include_dashboard=False,
            namespace=APP_NAME,
            _temp_dir=str(temp_dir.resolve()),
            _node_ip_address=settings.host if settings.host != "0.0.0.0" else None,
        )
    serve.start(http_options={"host": settings.host, "port": settings.port})
    serve.run(build_app(settings, ray_settings), name=APP_NAME, route_prefix="/")


def stop() -> None:
    """Stop the application, Serve and this process's Ray (draining replicas first)."""
    import ray
    from ray import serve

    serve.shutdown()
    ray.shutdown()


def serve_forever(settings: Settings, ray_settings: RaySettings) -> None:
    """``voxserve serve --ray``: start, then wait for SIGINT or SIGTERM and stop."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    start(settings, ray_settings)
    try:
        done.wait()
    finally:
        stop()
