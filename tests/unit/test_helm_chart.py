"""The Helm chart (helm/scrapestream), checked on the manifests Helm renders from it.

Renders with the helm binary that `make helm` builds (the Makefile pins its version); a missing
binary fails the tests with the command to run, it never skips them.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from scrapestream.config import Settings
from scrapestream.topics import ConsumerGroups
from streams.topology import fanout_app, request_router_app

# The PromQL parsing of the dashboard's own tests, applied here to the dashboard the chart renders.
from tests.unit.test_dashboard import exported_series, expressions, metric_names

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "scrapestream"
PRODUCTION = CHART / "values-production.yaml"
KUBE_VERSION = "1.30.0"  # a Helm built without release flags assumes Kubernetes 1.20
# Distinctive secret values given at install time: they may appear in Secrets only.
SECRETS = {
    "gateway.apiKeys": "{key-alpha-5c1d,key-beta-93e0}",
    "clickhouse.username": "analyst-7f3a",
    "clickhouse.password": "pw-d41e-secret",
}
SECRET_STRINGS = ["key-alpha-5c1d", "key-beta-93e0", "analyst-7f3a", "pw-d41e-secret"]
VALUE_SETS = {"default": [], "production": ["-f", str(PRODUCTION)]}


def helm_binary() -> Path:
    version = re.search(r"^HELM_VERSION := (\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert version, "Makefile: HELM_VERSION is not set"
    return Settings().cache_dir / "helm" / version[1] / "helm"


@pytest.fixture(scope="module")
def helm() -> Path:
    binary = helm_binary()
    if not binary.is_file():
        pytest.fail(f"helm not found at {binary}: run `make helm` (builds it from the Go module proxy)")
    return binary


def run_helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=120)


def render(helm: Path, *args: str) -> list[dict[str, Any]]:
    rendered = run_helm(helm, "template", "ss", str(CHART), "--kube-version", KUBE_VERSION, *args)
    assert rendered.returncode == 0, rendered.stderr
    return [document for document in yaml.safe_load_all(rendered.stdout) if document]


@pytest.fixture(scope="module", params=list(VALUE_SETS))
def manifests(request: pytest.FixtureRequest, helm: Path) -> list[dict[str, Any]]:
    secrets = [arg for name, value in SECRETS.items() for arg in ("--set-string", f"{name}={value}")]
    return render(helm, *VALUE_SETS[request.param], *secrets)


def of_kind(manifests: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [document for document in manifests if document["kind"] == kind]


def pod_specs(manifests: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{document['kind']}/{document['metadata']['name']}", document["spec"]["template"]["spec"])
        for document in manifests
        if document["kind"] in ("Deployment", "Job")
    ]


def consumer_groups() -> dict[str, str]:
    """Worker subcommand -> the consumer group it joins, as the code defines it."""
    settings = Settings()
    return {
        "streams": request_router_app(settings).conf.id,
        "fanout": fanout_app(settings).conf.id,
        "scraper": ConsumerGroups.for_settings(settings).scrapers,
        "scraper --browser": ConsumerGroups.for_settings(settings).browser_scrapers,
    }


# -- chart ----------------------------------------------------------------------------------
@pytest.mark.parametrize("values", list(VALUE_SETS))
def test_helm_lint_passes_strictly(helm: Path, values: str) -> None:
    linted = run_helm(helm, "lint", "--strict", str(CHART), *VALUE_SETS[values])
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_every_component_is_deployed(manifests: list[dict[str, Any]]) -> None:
    args = sorted(" ".join(spec["containers"][0]["args"]) for _, spec in pod_specs(manifests))
    assert args == [
        "gateway",
        "scrapestream topics create && scrapestream db migrate",
        "worker fanout --loglevel info",
        "worker scraper",
        "worker scraper --browser",
        "worker streams --loglevel info",
    ]
    [job] = of_kind(manifests, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"


# -- containers -----------------------------------------------------------------------------
def test_every_server_container_has_liveness_and_readiness_probes(manifests: list[dict[str, Any]]) -> None:
    for kind_name, spec in pod_specs(manifests):
        for container in spec["containers"]:
            if kind_name.startswith("Job/"):  # the documented exception: a run to completion, bounded
                assert spec["restartPolicy"] == "Never" and "livenessProbe" not in container
                continue
            liveness, readiness = container["livenessProbe"], container["readinessProbe"]
            assert liveness["httpGet"]["path"] == "/healthz", kind_name
            assert readiness["httpGet"]["path"] == "/readyz", kind_name
            ports = {port["name"] for port in container["ports"]}
            assert {liveness["httpGet"]["port"], readiness["httpGet"]["port"]} <= ports, kind_name


def test_jobs_are_bounded_in_time(manifests: list[dict[str, Any]]) -> None:
    for job in of_kind(manifests, "Job"):
        assert job["spec"]["activeDeadlineSeconds"] > 0 and job["spec"]["backoffLimit"] >= 0


def test_every_container_has_requests_and_limits(manifests: list[dict[str, Any]]) -> None:
    for kind_name, spec in pod_specs(manifests):
        for container in spec["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["limits"]), kind_name
            assert {"cpu", "memory"} <= set(resources["requests"]), kind_name


def test_every_image_is_pinned(manifests: list[dict[str, Any]]) -> None:
    for kind_name, spec in pod_specs(manifests):
        for container in spec["containers"]:
            match = re.fullmatch(
                r"[\w./:-]+/[\w.-]+:(?P<tag>[\w][\w.-]*)(@sha256:[0-9a-f]{64})?", container["image"]
            )
            assert match and match["tag"] != "latest", f"{kind_name}: {container['image']}"


def test_every_container_runs_as_non_root_without_capabilities(manifests: list[dict[str, Any]]) -> None:
    for kind_name, spec in pod_specs(manifests):
        assert spec["securityContext"]["runAsNonRoot"] is True, kind_name
        assert spec["securityContext"]["runAsUser"] != 0, kind_name
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["runAsNonRoot"] is True, kind_name
            assert security["allowPrivilegeEscalation"] is False, kind_name
            assert security["readOnlyRootFilesystem"] is True, kind_name
            assert security["capabilities"]["drop"] == ["ALL"], kind_name


def test_chart_refuses_an_unpinned_image_and_embedded_clickhouse(helm: Path) -> None:
    for args, message in (
        (["--set", "image.tag=latest"], "image.tag must be a pinned release tag"),
        (["--set", "clickhouse.url=chdb:///data"], "embedded chdb:// is for single-node local use only"),
        (["--set", "settings.GATEWAY_API_KEYS=k"], "settings.GATEWAY_API_KEYS is secret"),
    ):
        rendered = run_helm(helm, "template", "ss", str(CHART), "--kube-version", KUBE_VERSION, *args)
        assert rendered.returncode != 0 and message in rendered.stderr, rendered.stderr


# -- scaling --------------------------------------------------------------------------------
def test_every_consumer_deployment_scales_on_the_lag_of_its_consumer_group(
    manifests: list[dict[str, Any]],
) -> None:
    groups = consumer_groups()
    scaled_objects = {s["spec"]["scaleTargetRef"]["name"]: s for s in of_kind(manifests, "ScaledObject")}
    autoscalers = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(manifests, "HorizontalPodAutoscaler")
    }
    consumers = [
        d
        for d in of_kind(manifests, "Deployment")
        if d["spec"]["template"]["spec"]["containers"][0]["args"][0] == "worker"
    ]
    assert len(consumers) == 4
    for deployment in consumers:
        name = deployment["metadata"]["name"]
        args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        expected = groups[args[1] + (" --browser" if "--browser" in args else "")]
        assert (name in scaled_objects) != (name in autoscalers), (
            f"{name}: needs exactly one lag-based scaler"
        )
        assert "replicas" not in deployment["spec"], f"{name}: the autoscaler owns the replica count"
        if name in scaled_objects:
            triggers = scaled_objects[name]["spec"]["triggers"]
            assert [t["type"] for t in triggers] == ["kafka"], name
            assert triggers[0]["metadata"]["consumerGroup"] == expected, name
            assert int(triggers[0]["metadata"]["lagThreshold"]) > 0, name
        else:
            [lag] = [m for m in autoscalers[name]["spec"]["metrics"] if m["type"] == "External"]
            assert lag["external"]["metric"]["selector"]["matchLabels"] == {"group": expected}, name
            assert lag["external"]["target"]["type"] == "AverageValue", name


def test_production_values_use_keda_and_the_defaults_an_hpa(helm: Path) -> None:
    production = render(helm, *VALUE_SETS["production"])
    assert len(of_kind(production, "ScaledObject")) == 4 and not of_kind(
        production, "HorizontalPodAutoscaler"
    )
    default = render(helm)
    assert len(of_kind(default, "HorizontalPodAutoscaler")) == 4 and not of_kind(default, "ScaledObject")


def test_every_deployment_has_a_disruption_budget(manifests: list[dict[str, Any]]) -> None:
    budgets = {
        b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
        for b in of_kind(manifests, "PodDisruptionBudget")
    }
    components = {
        d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
        for d in of_kind(manifests, "Deployment")
    }
    assert components == budgets


# -- secrets --------------------------------------------------------------------------------
def test_secret_values_appear_in_secrets_only(manifests: list[dict[str, Any]]) -> None:
    for document in manifests:
        text = json.dumps(document)
        if document["kind"] == "Secret":
            continue
        leaked = [secret for secret in SECRET_STRINGS if secret in text]
        assert not leaked, f"{document['kind']}/{document['metadata']['name']} holds {leaked}"


def test_secret_settings_reach_containers_through_secret_refs(manifests: list[dict[str, Any]]) -> None:
    for config_map in of_kind(manifests, "ConfigMap"):
        assert not {"SCRAPESTREAM_GATEWAY_API_KEYS", "SCRAPESTREAM_CLICKHOUSE_URL"} & set(config_map["data"])
    for kind_name, spec in pod_specs(manifests):
        for variable in spec["containers"][0].get("env", []):
            if variable["name"] in ("SCRAPESTREAM_GATEWAY_API_KEYS", "SCRAPESTREAM_CLICKHOUSE_URL"):
                assert "secretKeyRef" in variable["valueFrom"], f"{kind_name}: {variable['name']}"


def test_the_gateway_reads_its_keys_from_the_mounted_secret_so_they_change_without_a_restart(
    manifests: list[dict[str, Any]],
) -> None:
    (spec,) = [spec for name, spec in pod_specs(manifests) if name.endswith("-gateway")]
    container = spec["containers"][0]
    env = {variable["name"]: variable for variable in container["env"]}
    assert "SCRAPESTREAM_GATEWAY_API_KEYS" not in env
    key_file = Path(env["SCRAPESTREAM_GATEWAY_API_KEYS_FILE"]["value"])
    (mount,) = [m for m in container["volumeMounts"] if Path(m["mountPath"]) == key_file.parent]
    assert mount["readOnly"] and "subPath" not in mount  # the kubelet never updates a subPath mount
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    clickhouse_secret = env["SCRAPESTREAM_CLICKHOUSE_URL"]["valueFrom"]["secretKeyRef"]["name"]
    assert volume["secret"]["secretName"] == clickhouse_secret
    assert volume["secret"]["items"] == [{"key": "gateway-api-keys", "path": key_file.name}]


def test_the_values_files_hold_no_secret() -> None:
    for path in (CHART / "values.yaml", PRODUCTION):
        values = yaml.safe_load(path.read_text())
        assert not values.get("gateway", {}).get("apiKeys"), path
        assert not values.get("clickhouse", {}).get("password"), path
        assert "@" not in values.get("clickhouse", {}).get("url", ""), f"{path}: credentials in the URL"


# -- dashboard ------------------------------------------------------------------------------
def test_the_chart_ships_the_dashboard_and_it_reads_only_metrics_the_code_defines(
    manifests: list[dict[str, Any]],
) -> None:
    [config_map] = [
        c for c in of_kind(manifests, "ConfigMap") if c["metadata"]["name"].endswith("-dashboard")
    ]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["scrapestream.json"])
    assert dashboard == json.loads((CHART / "dashboards" / "scrapestream.json").read_text())
    read = {name for expression in expressions(dashboard) for name in metric_names(expression)}
    assert read, "the dashboard has no queries"
    assert read <= exported_series(), f"unknown metrics: {sorted(read - exported_series())}"
