"""The container recipe (deploy/docker) agrees with the Kubernetes example and the service.

Containers cannot run on the test machines; the build script the Dockerfile runs is run for
real by tests/packaging/test_release.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DOCKERFILE = (DEPLOY / "docker" / "Dockerfile").read_text()


def _container() -> dict[str, object]:
    (doc,) = yaml.safe_load_all((DEPLOY / "k8s" / "deployment.yaml").read_text())
    (container,) = doc["spec"]["template"]["spec"]["containers"]
    assert isinstance(container, dict)
    return container


def test_the_image_builds_with_the_script_ci_runs() -> None:
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, flags=re.M)
    assert len(stages) == 2 and stages[0] == stages[1].split()[0]
    assert "RUN /src/deploy/docker/build-release --slim /opt/voxserve" in DOCKERFILE


def test_the_image_runs_as_a_user_with_a_health_check() -> None:
    runtime = DOCKERFILE.split("\nFROM ")[-1]
    user = re.search(r"^USER (\S+)", runtime, flags=re.M)
    assert user and user.group(1) not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", runtime, flags=re.M)
    assert "gcc" not in runtime  # the compiler stays in the build stage


def test_kubernetes_runs_the_image_the_dockerfile_builds() -> None:
    container = _container()
    assert f"-t {container['image']} ." in DOCKERFILE
    exposed = re.search(r"^EXPOSE (.*)$", DOCKERFILE, flags=re.M)
    assert exposed
    ports = container["ports"]
    assert isinstance(ports, list)
    assert {str(p["containerPort"]) for p in ports} == set(exposed.group(1).split())
