"""The Kubernetes manifests (infra/k8s), checked without a cluster: every document parses, every
file is deployed by a kustomization, the pods are hardened and probed as DESIGN.md §11/§16 say, web
autoscales, workers scale on the app's own queue names, and every name a manifest refers to exists.
`kubectl kustomize` renders both kustomizations as an extra where kubectl exists.
"""

import re
import shutil
import subprocess
import tomllib
from pathlib import PurePosixPath

import pytest
import yaml
from rq import Queue

from tests.deployment_files import BOTO, K8S, PRODUCTION, ROOT, manifests, objects, pod_templates
from workers.queues import QUEUES

APP_IMAGE = "haiphong-portal"
EXAMPLES = {"secret.example.yaml"}  # created by the operator's secret store, never applied as is
MiB = 1024 * 1024


def kustomizations() -> dict[str, dict]:
    return {path: docs[0] for path, docs in manifests().items() if path.endswith("kustomization.yaml")}


def containers(pod: dict) -> list[dict]:
    return pod["containers"]


def config_data() -> dict:
    return objects("ConfigMap")["portal-config"]["data"]


def test_every_manifest_parses_and_is_deployed_by_a_kustomization():
    listed = set()
    for path, kustomization in kustomizations().items():
        folder = path.rpartition("/")[0]
        for resource in kustomization["resources"]:
            listed.add(f"{folder}/{resource}".lstrip("/"))
    files = set(manifests())
    assert listed <= files, f"listed but missing: {listed - files}"
    assert files - listed - set(kustomizations()) == EXAMPLES
    for path, docs in manifests().items():
        for doc in docs:
            assert {"apiVersion", "kind"} <= set(doc), path
            assert doc["kind"] == "Kustomization" or doc["metadata"]["name"], path


@pytest.mark.parametrize("name", ["portal-web", "portal-worker", "portal-scheduler", "portal-migrate"])
def test_every_pod_is_hardened_sized_and_configured_from_the_environment(name):
    pod = pod_templates()[name]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    writable = {volume["name"] for volume in pod["volumes"] if "emptyDir" in volume}
    for container in containers(pod):
        assert container["image"] == APP_IMAGE
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
        assert context["capabilities"]["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "memory" in container["resources"]["limits"]
        sources = [next(iter(ref.values()))["name"] for ref in container["envFrom"]]
        assert sources[:2] == ["portal-config", "portal-secrets"]
        # The root filesystem is read-only: the app's instance folder lives on a writable volume.
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        assert mounts.get(str(PurePosixPath(config_data()["PORTAL_INSTANCE_DIR"]).parent)) in writable
    labels = objects("Namespace")["haiphong-portal"]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_web_is_probed_served_and_autoscaled():
    web = objects("Deployment")["portal-web"]
    assert "replicas" not in web["spec"], "the autoscaler owns the count"
    (container,) = containers(web["spec"]["template"]["spec"])
    assert container["command"] == ["gunicorn", "-c", "infra/gunicorn.conf.py", "wsgi:app"]
    assert container["ports"] == [{"name": "http", "containerPort": 8000}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    grace = web["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > 30 + int(container["lifecycle"]["preStop"]["exec"]["command"][1]), "gunicorn's graceful_timeout"

    service = objects("Service")["portal-web"]
    assert service["spec"]["selector"] == web["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    ingress = objects("Ingress")["portal-web"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "portal-web", "port": {"name": "http"}}
    assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]
    sizes = {v for k, v in ingress["metadata"]["annotations"].items() if "body-size" in k}
    assert {int(size.rstrip("m")) * MiB for size in sizes} == {int(config_data()["MAX_UPLOAD_BYTES"])}

    hpa = objects("HorizontalPodAutoscaler")["portal-web"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "portal-web"}
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    assert "cpu" in container["resources"]["requests"], "utilization is measured against the request"


def test_workers_scale_on_the_length_of_the_apps_own_queues():
    worker = objects("Deployment")["portal-worker"]
    assert "replicas" not in worker["spec"], "KEDA owns the count"
    longest = max(spec.timeout for spec in QUEUES.values())
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > longest
    scaled = objects("ScaledObject")["portal-worker"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == "portal-worker"
    assert scaled["spec"]["minReplicaCount"] >= 1, "a scheduled retry needs a running worker"
    prefix = config_data()["QUEUE_PREFIX"]
    lists = {trigger["metadata"]["listName"] for trigger in scaled["spec"]["triggers"]}
    assert lists == {f"{Queue.redis_queue_namespace_prefix}{prefix}-{purpose}" for purpose in QUEUES}
    for trigger in scaled["spec"]["triggers"]:
        assert trigger["type"] == "redis" and trigger["authenticationRef"]["name"] in objects("TriggerAuthentication")


def test_exactly_one_scheduler_runs_the_scheduler_script():
    scheduler = objects("Deployment")["portal-scheduler"]
    assert scheduler["spec"]["replicas"] == 1 and scheduler["spec"]["strategy"] == {"type": "Recreate"}
    (container,) = containers(scheduler["spec"]["template"]["spec"])
    assert container["command"] == ["infra/scheduler.sh"]
    script = (ROOT / "infra" / "scheduler.sh").read_text()
    for command in ("jobs requeue", "returnees mark-overdue", "reports remind"):
        assert f"flask --app wsgi {command}" in script


def test_disruption_budgets_and_network_policies_select_real_pods():
    pod_labels = {name: spec["spec"]["template"]["metadata"]["labels"] for name, spec in
                  {**objects("Deployment"), **objects("Job")}.items()}
    budgets = objects("PodDisruptionBudget")
    assert {budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for budget in budgets.values()} == {
        "portal-web", "portal-worker"
    }
    for budget in budgets.values():
        assert budget["apiVersion"] == "policy/v1" and budget["spec"]["maxUnavailable"] == 1
    policies = objects("NetworkPolicy")
    web_policy = policies["portal-web-from-ingress"]["spec"]
    assert web_policy["podSelector"]["matchLabels"] == pod_labels["portal-web"]
    assert web_policy["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 8000}]
    closed = policies["portal-no-ingress"]["spec"]
    assert "ingress" not in closed and closed["policyTypes"] == ["Ingress"]
    selected = set(closed["podSelector"]["matchExpressions"][0]["values"])
    assert selected == {pod_labels[name]["app.kubernetes.io/name"] for name in pod_labels} - {"portal-web"}


def test_every_configmap_and_secret_a_manifest_refers_to_exists():
    data = config_data()
    secrets = {name: set(secret["stringData"]) for name, secret in objects("Secret").items()}
    for name, pod in pod_templates().items():
        for container in containers(pod):
            for ref in container["envFrom"]:
                if "configMapRef" in ref:
                    assert ref["configMapRef"]["name"] == "portal-config", name
                else:
                    assert ref["secretRef"]["name"] in secrets, name
            for variable in container.get("env", []):
                for kind, source in (variable.get("valueFrom") or {}).items():
                    keys = data if kind == "configMapKeyRef" else secrets[source["name"]]
                    assert source["key"] in keys, name
    for auth in objects("TriggerAuthentication").values():
        for ref in auth["spec"]["secretTargetRef"]:
            assert ref["key"] in secrets[ref["name"]]
    for tls in objects("Ingress")["portal-web"]["spec"]["tls"]:
        assert {"tls.crt", "tls.key"} <= secrets[tls["secretName"]]
    # The pods get what production needs: the same list the compose file is checked against.
    assert set(data) | secrets["portal-secrets"] >= PRODUCTION | BOTO
    assert {"MIGRATION_DATABASE_URL", "APP_DB_PASSWORD"} <= secrets["portal-migration"]


def test_one_image_and_tag_everywhere():
    images = [kustomization["images"] for kustomization in kustomizations().values()]
    assert all(entries == images[0] for entries in images)
    (entry,) = images[0]
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert entry["name"] == APP_IMAGE and entry["newTag"] == version
    for pod in pod_templates().values():
        assert {container["image"] for container in containers(pod)} == {APP_IMAGE}


@pytest.mark.skipif(not shutil.which("kubectl"), reason="no kubectl here; the checks above stand without it")
@pytest.mark.parametrize("folder", ["", "migrate"])
def test_kubectl_renders_the_kustomizations(folder):
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S / folder)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    rendered = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert rendered
    (entry,) = kustomizations()["kustomization.yaml"]["images"]
    assert set(re.findall(r"image: (\S+)", result.stdout)) == {f"{entry['newName']}:{entry['newTag']}"}
    for doc in rendered:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "haiphong-portal", doc["metadata"]["name"]
