"""The Kubernetes examples (deploy/k8s) agree with the service's routes and settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from voxserve.settings import Settings

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"


def _load(name: str) -> dict[str, Any]:
    (doc,) = yaml.safe_load_all((K8S / name).read_text())
    assert isinstance(doc, dict)
    return doc


def _container() -> dict[str, Any]:
    spec = _load("deployment.yaml")["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    return {**container, "_grace": spec["terminationGracePeriodSeconds"]}


def test_probes_use_liveness_and_readiness_routes() -> None:
    c = _container()
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["startupProbe"]["httpGet"]["path"] == "/readyz"


def test_every_variable_is_a_setting_or_uvicorns() -> None:
    fields = {f"VOXSERVE_{name.upper()}" for name in Settings.model_fields}
    for var in _container()["env"]:
        assert var["name"] in fields or var["name"] == "FORWARDED_ALLOW_IPS", var["name"]


def test_grace_period_covers_the_drain() -> None:
    c = _container()
    env = {v["name"]: v["value"] for v in c["env"]}
    drain = float(env["VOXSERVE_DRAIN_TIMEOUT_S"])
    pre_stop = float(c["lifecycle"]["preStop"]["exec"]["command"][-1])
    # uvicorn waits for open requests, then the scheduler drains: each up to the drain timeout.
    assert c["_grace"] > pre_stop + 2 * drain


def test_service_and_autoscaler_point_at_the_deployment() -> None:
    service, hpa = _load("service.yaml"), _load("hpa.yaml")
    labels = _load("deployment.yaml")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert hpa["spec"]["scaleTargetRef"]["name"] == "voxserve"
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
