"""The Kubernetes manifests (deploy/k8s/), built and validated offline as CI does
(scripts/k8s_validate.sh), then read for the layout's rules."""

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "k8s_validate.sh"
SECRET_NAMES = {"SECRET_KEY", "JWT_SIGNING_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "METRICS_TOKEN"}

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (kustomize) is not installed")


def _validate(out: Path, k8s_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OUT": str(out)}
    if k8s_dir is not None:
        env["K8S_DIR"] = str(k8s_dir)
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("k8s")
    result = _validate(out)
    assert result.returncode == 0, result.stdout + result.stderr
    return {path.stem: [doc for doc in yaml.safe_load_all(path.read_text()) if doc] for path in out.glob("*.yaml")}


def _named(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def test_every_overlay_builds_and_validates(rendered: dict[str, list[dict[str, Any]]]) -> None:
    assert set(rendered) == {"staging", "staging-migrate", "production", "production-migrate"}


@pytest.mark.parametrize("overlay", ["staging", "production"])
def test_the_four_processes_and_their_rules(rendered: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    docs = rendered[overlay]
    deployments = _named(docs, "Deployment")
    assert set(deployments) == {"web", "ws", "worker", "beat"}
    beat = deployments["beat"]["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}
    web = deployments["web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/api/v1/health"
    assert web["livenessProbe"]["httpGet"]["path"] == "/api/v1/health/live"
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert "livenessProbe" in container, name
    hpas = _named(docs, "HorizontalPodAutoscaler")
    assert {name: hpa["spec"]["scaleTargetRef"]["name"] for name, hpa in hpas.items()} == {"web": "web", "ws": "ws"}
    pdbs = _named(docs, "PodDisruptionBudget")
    assert {pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] for pdb in pdbs.values()} == {
        "web",
        "ws",
        "worker",
    }


@pytest.mark.parametrize("overlay", ["staging", "production", "staging-migrate", "production-migrate"])
def test_secrets_come_from_the_secret_and_nothing_secret_is_committed(
    rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    docs = rendered[overlay]
    assert not [doc for doc in docs if doc["kind"] == "Secret"]
    pods = [doc["spec"]["template"]["spec"] for doc in docs if doc["kind"] in ("Deployment", "Job")]
    assert pods
    for pod in pods:
        for container in pod["containers"]:
            assert {"secretRef": {"name": "hucares-secrets"}} in container["envFrom"]
            assert not SECRET_NAMES & {var["name"] for var in container.get("env", [])}
    for config in _named(docs, "ConfigMap").values():
        assert not SECRET_NAMES & set(config["data"])


@pytest.mark.parametrize("overlay", ["staging", "production"])
def test_postgres_and_redis_are_external_services(rendered: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    services = _named(rendered[overlay], "Service")
    for name in ("postgres", "redis"):
        assert services[name]["spec"]["type"] == "ExternalName"
        assert not services[name]["spec"]["externalName"].endswith(".invalid")


def test_an_invalid_manifest_fails_the_check(tmp_path: Path) -> None:
    tree = tmp_path / "k8s"
    shutil.copytree(ROOT / "deploy" / "k8s", tree)
    web = tree / "base" / "web.yaml"
    web.write_text(web.read_text().replace("containerPort: 8000", "containerPort: http-port"))
    result = _validate(tmp_path / "out", tree)
    assert result.returncode == 1
    assert "deployment/web" in result.stdout + result.stderr
