"""The deployment files hold together: every Kubernetes manifest is valid against the API's JSON
schemas (kubernetes-validate ships them: no network, no cluster), the probes name routes the app
has, every environment variable is a real setting with a valid value, the numbers agree with each
other (shutdown timings, ports, selectors, the Redis URL), and the Dockerfile keeps its basics.
Docker itself is not needed: the image is not built here."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import kubernetes_validate
import pytest
import yaml
from support import in_process, settings_for

from bff.app import create_app
from bff.settings import Settings

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
# The oldest Kubernetes minor these manifests promise to work with, and a recent one.
KUBERNETES_VERSIONS = ("1.29", "1.33")


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


MANIFEST_FILES = sorted(p for p in DEPLOY.glob("*.yaml") if p.name != "kustomization.yaml")
RESOURCES = [(path, doc) for path in MANIFEST_FILES for doc in _documents(path)]


def _one(kind: str, name: str) -> dict[str, Any]:
    [found] = [
        doc for _, doc in RESOURCES if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    return found


def _bff_container() -> dict[str, Any]:
    [container] = _one("Deployment", "bff")["spec"]["template"]["spec"]["containers"]
    return container


def _config() -> dict[str, str]:
    data: dict[str, str] = _one("ConfigMap", "bff-config")["data"]
    return data


def _env_names() -> Iterator[str]:
    """Every variable name the manifests give a BFF container (config map and env)."""
    yield from _config()
    for _, doc in RESOURCES:
        if doc["kind"] != "Deployment":
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            if container["name"] == "bff":
                yield from (entry["name"] for entry in container.get("env", []))


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(
    ("path", "doc"),
    RESOURCES,
    ids=[f"{p.name}:{d['kind']}/{d['metadata']['name']}" for p, d in RESOURCES],
)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(
    path: Path, doc: dict[str, Any], version: str
) -> None:
    # strict: an unknown or misspelt field fails, as `kubectl apply` would refuse it.
    kubernetes_validate.validate(doc, version, strict=True)


def test_the_deployment_has_every_part_the_issue_asks_for() -> None:
    kinds = {(doc["apiVersion"], doc["kind"], doc["metadata"]["name"]) for _, doc in RESOURCES}
    assert kinds == {
        ("v1", "ConfigMap", "bff-config"),
        ("apps/v1", "Deployment", "bff"),
        ("v1", "Service", "bff"),
        ("autoscaling/v2", "HorizontalPodAutoscaler", "bff"),
        ("policy/v1", "PodDisruptionBudget", "bff"),
        ("apps/v1", "Deployment", "bff-redis"),
        ("v1", "Service", "bff-redis"),
    }
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == [p.name for p in MANIFEST_FILES]


async def test_probes_name_routes_the_app_serves() -> None:
    container = _bff_container()
    probes = {probe: container[probe]["httpGet"] for probe in ("readinessProbe", "livenessProbe")}
    assert {name: get["path"] for name, get in probes.items()} == {
        "readinessProbe": "/readyz",
        "livenessProbe": "/healthz",
    }
    # On the operations listener, which a flood of the public port cannot starve.
    assert {get["port"] for get in probes.values()} == {"ops"}
    assert {port["name"] for port in container["ports"]} == {"http", "ops"}

    def no_downstream(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"a probe called a downstream: {request.url}")

    app = create_app(settings_for("http://down.test"), transport=httpx.MockTransport(no_downstream))

    async def probe_all() -> dict[str, int]:
        async with in_process(app) as (client, _):
            return {path: (await client.get(path)).status_code for path in ("/readyz", "/healthz")}

    assert await probe_all() == {"/readyz": 200, "/healthz": 200}
    assert container["resources"]["requests"].keys() == {"cpu", "memory"}
    assert container["resources"]["limits"]["memory"]


def test_every_variable_is_a_bff_setting_and_its_value_is_valid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = list(_env_names())
    unknown = [
        n for n in names if not n.startswith("BFF_") or n[4:].lower() not in Settings.model_fields
    ]
    assert not unknown, f"not BFF settings: {unknown}"
    assert len(names) == len(set(names)), "a variable is set twice"

    # The values, read the way a pod reads them: from the environment.
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"BFF_{name.upper()}", raising=False)
    for name, value in _config().items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.host == "0.0.0.0"
    assert settings.workers == 1


def test_shutdown_timings_agree() -> None:
    """The probe sees the drain; Kubernetes waits for drain and grace before its SIGKILL."""
    config = _config()
    drain = float(config["BFF_SHUTDOWN_DRAIN_SECONDS"])
    grace = float(config["BFF_SHUTDOWN_GRACE_SECONDS"])
    readiness = _bff_container()["readinessProbe"]
    assert drain >= readiness["periodSeconds"] * readiness["failureThreshold"]
    pod = _one("Deployment", "bff")["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] > drain + grace
    assert "lifecycle" not in _bff_container(), "the BFF drains by itself; no preStop needed"
    # The grace period outlasts every request's own deadline.
    assert grace >= Settings.model_fields["request_timeout"].default


def test_ports_selectors_and_the_redis_url_line_up() -> None:
    config = _config()
    container = _bff_container()
    ports = {port["name"]: port for port in container["ports"]}
    http = ports["http"]
    assert http["containerPort"] == int(config["BFF_PORT"])
    assert ports["ops"]["containerPort"] == int(config["BFF_OPS_PORT"])
    assert f"EXPOSE {config['BFF_PORT']}" in (ROOT / "Dockerfile").read_text()

    deployment = _one("Deployment", "bff")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    assert _one("Service", "bff")["spec"]["selector"] == labels
    assert _one("PodDisruptionBudget", "bff")["spec"]["selector"]["matchLabels"] == labels
    target = _one("HorizontalPodAutoscaler", "bff")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "bff")
    assert _one("Service", "bff")["spec"]["ports"][0]["targetPort"] == http["name"]

    redis = re.fullmatch(r"redis://([a-z0-9-]+):(\d+)/\d+", config["BFF_CACHE_REDIS_URL"])
    assert redis, config["BFF_CACHE_REDIS_URL"]
    service = _one("Service", redis[1])
    assert service["spec"]["ports"][0]["port"] == int(redis[2])
    redis_pods = _one("Deployment", "bff-redis")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"] == redis_pods
    assert redis_pods != labels, "the BFF Service must not select the Redis pod"


def _final_stage(dockerfile: str) -> list[str]:
    """The instructions of the last stage, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", dockerfile)
    lines = [line.strip() for line in joined.splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    last_from = max(i for i, line in enumerate(instructions) if line.startswith("FROM "))
    return instructions[last_from:]


def test_the_dockerfile_is_slim_non_root_and_installs_like_make_run() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n\s*", " ", dockerfile)
    assert all("-slim" in line for line in joined.splitlines() if line.startswith("FROM "))

    final = _final_stage(dockerfile)
    [user] = [line.split()[1] for line in final if line.startswith("USER ")]
    assert user.split(":")[0] not in ("root", "0")
    assert user.split(":")[0].isdigit(), "a numeric UID, so runAsNonRoot can check it"
    assert _one("Deployment", "bff")["spec"]["template"]["spec"]["securityContext"][
        "runAsUser"
    ] == int(user.split(":")[0])

    # As `make run` installs it (which adds `-e`), so the image runs what the tests ran: the
    # runtime lock, hash-checked, then the project itself without resolving anything again.
    assert re.search(
        r"\bpip install --no-cache-dir --require-hashes --no-deps -r requirements/runtime\.txt\b",
        joined,
    )
    assert re.search(
        r"\bpip install --no-cache-dir --no-deps --no-build-isolation \.(\s|$)", joined
    )
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = " ".join(line for line in joined.splitlines() if line.startswith("COPY "))
    for package in packages:
        assert f"COPY {package.rstrip('*')} " in copied, f"{package} is not copied into the image"

    [cmd] = [line for line in final if line.startswith("CMD ")]
    assert cmd == 'CMD ["bff", "serve", "--host", "0.0.0.0"]'

    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "tests", "**/__pycache__"} <= set(ignored)
