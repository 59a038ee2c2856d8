"""The compose and k8s features: valid to their validators, and safe by default.

Everything is checked offline, without a Docker engine or a cluster:
kubernetes-validate --strict against the Kubernetes schemas it bundles, and
check-jsonschema against its vendored copy of the Compose specification's schema.
"""

import json
import re
from pathlib import Path

import pytest
import yaml
from cookiecutter.environment import StrictEnvironment
from helpers import (
    assert_compose_valid,
    assert_k8s_valid,
    validate_compose,
    validate_k8s,
)

from flaskproto import create_project
from flaskproto.features import catalogue, select
from flaskproto.service import METADATA_FILE
from flaskproto.templates import load_template

TEMPLATE = load_template()
EVERYTHING = tuple(select(TEMPLATE, list(catalogue(TEMPLATE))).names)
K8S_RESOURCES = ["deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml"]
SLUG = "order-service"
# The compose file and Deployment template, rendered directly in the db tests.
PROJECT_TEMPLATE = TEMPLATE.path / "{{cookiecutter.project_slug}}"
COMPOSE_TEMPLATE = "{% if cookiecutter.with_compose %}compose.yaml{% endif %}"
DEPLOYMENT_TEMPLATE = (
    "deploy/k8s/{% if cookiecutter.with_k8s %}deployment.yaml{% endif %}"
)


def generate(tmp_path: Path, features) -> Path:
    return create_project("Order Service", tmp_path, features=features, git=False).path


def render_with_db(tmp_path: Path, template: str) -> Path:
    """Render one template file as if the db feature were chosen.

    The compose and k8s files carry the db wiring behind ``with_db is defined``,
    so it is checked here whether or not the template offers db yet.
    """
    project = generate(tmp_path / "base", ["compose", "k8s"])
    context = json.loads((project / METADATA_FILE).read_text())["context"]
    context["with_db"] = True
    text = (PROJECT_TEMPLATE / template).read_text()
    rendered = StrictEnvironment(keep_trailing_newline=True).from_string(text)
    # The template's file name, without the {% if %} around it.
    out = tmp_path / re.sub(r"\{%.*?%\}", "", Path(template).name)
    out.write_text(rendered.render(cookiecutter=context))
    return out


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def by_name(items: list[dict]) -> dict[str, dict]:
    return {item["name"]: item for item in items}


def dockerfile_user(project: Path) -> tuple[int, int]:
    dockerfile = (project / "Dockerfile").read_text()
    user = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.MULTILINE)
    assert user, dockerfile
    return int(user.group(1)), int(user.group(2))


WITH_COMPOSE = [("compose",), ("compose", "k8s"), EVERYTHING]
WITH_K8S = [("k8s",), ("compose", "k8s"), EVERYTHING]


@pytest.mark.parametrize("features", WITH_COMPOSE, ids=["alone", "k8s", "all"])
def test_compose_file_is_valid_and_runs_the_service_safely(tmp_path, features):
    project = generate(tmp_path, features)
    compose = project / "compose.yaml"
    assert_compose_valid(compose)

    # Named after the service, so services side by side keep their names.
    app = load(compose)["services"]["order-service"]
    assert app["build"] == "."
    environment = app["environment"]
    assert environment["BIND"] == "0.0.0.0:8000"
    # Compose stops with this message when the key is set nowhere.
    assert re.fullmatch(
        r"\$\{FLASK_SECRET_KEY:\?[^}]*\.env[^}]*\}", environment["FLASK_SECRET_KEY"]
    )
    assert app["ports"] == ["127.0.0.1:8000:8000"]
    assert app["read_only"] is True
    assert app["cap_drop"] == ["ALL"]

    check = app["healthcheck"]["test"]
    assert check[:3] == ["CMD", "python", "-c"]
    assert "urllib.request" in check[3]
    assert "'http://127.0.0.1:8000/healthz'" in check[3]
    compile(check[3], "healthcheck", "exec")

    if "db" in features:
        assert app["depends_on"]["db"] == {"condition": "service_healthy"}
    else:
        assert set(load(compose)["services"]) == {"order-service"}


def test_compose_with_db_waits_for_a_healthy_postgres(tmp_path):
    compose = render_with_db(tmp_path, COMPOSE_TEMPLATE)
    assert_compose_valid(compose)

    services = load(compose)["services"]
    assert set(services) == {"order-service", "migrate", "db"}
    app, migrate, db = services["order-service"], services["migrate"], services["db"]
    assert db["image"].startswith("postgres:")
    assert db["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert app["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert migrate["command"][-2:] == ["db", "upgrade"]
    for service in (app, migrate):
        url = service["environment"]["FLASK_SQLALCHEMY_DATABASE_URI"]
        assert re.fullmatch(
            r"postgresql://app:\$\{POSTGRES_PASSWORD:\?.*\}@db:5432/order_service",
            url,
        )
        assert service["environment"]["FLASK_SECRET_KEY"].startswith(
            "${FLASK_SECRET_KEY:?"
        )
    assert app["environment"]["BIND"] == "0.0.0.0:8000"
    assert "db-data" in load(compose)["volumes"]


@pytest.mark.parametrize("features", WITH_K8S, ids=["alone", "compose", "all"])
def test_k8s_manifests_are_valid_and_locked_down(tmp_path, features):
    project = generate(tmp_path, features)
    k8s = project / "deploy" / "k8s"
    assert sorted(p.name for p in k8s.iterdir()) == sorted(
        [*K8S_RESOURCES, "kustomization.yaml"]
    )
    assert_k8s_valid(*(k8s / name for name in K8S_RESOURCES))
    kustomization = load(k8s / "kustomization.yaml")
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == sorted(K8S_RESOURCES)

    deployment = load(k8s / "deployment.yaml")
    assert "replicas" not in deployment["spec"], "the autoscaler owns the count"
    pod = deployment["spec"]["template"]["spec"]
    uid, gid = dockerfile_user(project)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == uid
    assert pod["securityContext"]["runAsGroup"] == gid
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    # The read-only root leaves /tmp, gunicorn's heartbeat directory, writable.
    (mount,) = container["volumeMounts"]
    assert mount["mountPath"] == "/tmp"
    assert "emptyDir" in by_name(pod["volumes"])[mount["name"]]

    assert container["ports"] == [{"name": "http", "containerPort": 8000}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    for kind in ("requests", "limits"):
        assert set(container["resources"][kind]) == {"cpu", "memory"}

    env = by_name(container["env"])
    assert env["BIND"] == {"name": "BIND", "value": "0.0.0.0:8000"}
    assert env["FLASK_SECRET_KEY"] == {
        "name": "FLASK_SECRET_KEY",
        "valueFrom": {"secretKeyRef": {"name": SLUG, "key": "secret-key"}},
    }
    assert ("FLASK_SQLALCHEMY_DATABASE_URI" in env) == ("db" in features)

    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    service = load(k8s / "service.yaml")
    assert service["spec"]["selector"] == labels
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert load(k8s / "pdb.yaml")["spec"]["selector"]["matchLabels"] == labels

    hpa = load(k8s / "hpa.yaml")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]

    # No Secret is shipped; the README says how to make one.
    for path in k8s.iterdir():
        assert "kind: Secret" not in path.read_text()
    readme = (project / "README.md").read_text()
    assert f"kubectl create secret generic {SLUG} \\\n" in readme
    assert "--from-literal=secret-key=" in readme
    assert "kubectl apply -k deploy/k8s" in readme


def test_k8s_with_db_reads_the_database_url_from_the_secret(tmp_path):
    deployment = render_with_db(tmp_path, DEPLOYMENT_TEMPLATE)
    assert_k8s_valid(deployment)
    pod = load(deployment)["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = by_name(container["env"])
    assert env["FLASK_SQLALCHEMY_DATABASE_URI"]["valueFrom"] == {
        "secretKeyRef": {"name": SLUG, "key": "database-url"}
    }
    # Each pod migrates the database before the service starts, from the same
    # image, as locked down, with the database URL and no secret key.
    (migrate,) = pod["initContainers"]
    assert migrate["image"] == container["image"]
    assert migrate["command"] == ["flask", "--app", "order_service", "db", "upgrade"]
    assert migrate["securityContext"] == container["securityContext"]
    assert migrate["volumeMounts"] == container["volumeMounts"]
    assert migrate["resources"] == container["resources"]
    assert by_name(migrate["env"]) == {
        "FLASK_SQLALCHEMY_DATABASE_URI": env["FLASK_SQLALCHEMY_DATABASE_URI"]
    }


@pytest.mark.parametrize(
    ("path", "before", "after"),
    [
        ("compose.yaml", "start_period:", "startperiod:"),
        ("compose.yaml", "cap_drop:\n      - ALL", "cap_drop: ALL"),
        ("deploy/k8s/deployment.yaml", "readOnlyRootFilesystem", "readOnlyRootFS"),
        ("deploy/k8s/hpa.yaml", "minReplicas: 2", "minReplicas: two"),
    ],
    ids=["compose-key", "compose-value", "k8s-key", "k8s-value"],
)
def test_the_validators_reject_a_broken_file(tmp_path, path, before, after):
    project = generate(tmp_path, ["compose", "k8s"])
    target = project / path
    text = target.read_text()
    assert before in text
    target.write_text(text.replace(before, after))
    validate = validate_compose if path == "compose.yaml" else validate_k8s
    assert validate(target).returncode != 0


@pytest.mark.parametrize(
    "features", [(), ("compose",), ("k8s",)], ids=["none", "compose", "k8s"]
)
def test_deploy_features_leave_no_trace_when_not_chosen(tmp_path, features):
    project = generate(tmp_path, features)
    readme = (project / "README.md").read_text()
    env_example = (project / ".env.example").read_text()
    if "compose" not in features:
        assert not (project / "compose.yaml").exists()
        assert not (project / "tests" / "test_compose.py").exists()
        for trace in ("compose", "POSTGRES_PASSWORD"):
            assert trace not in readme.lower() + env_example
    if "k8s" not in features:
        assert not (project / "deploy").exists()
        assert not (project / "tests" / "test_k8s.py").exists()
        for trace in ("kubectl", "kubernetes", "deploy/"):
            assert trace not in readme.lower()


@pytest.mark.parametrize(
    ("features", "headings"),
    [
        (("compose",), ["Docker Compose"]),
        (("k8s",), ["Kubernetes"]),
        (
            ("cors", "compose", "k8s"),
            ["Cross-origin requests", "Docker Compose", "Kubernetes"],
        ),
    ],
    ids=["compose", "k8s", "with-cors"],
)
def test_readme_sections_stand_apart(tmp_path, features, headings):
    readme = (generate(tmp_path, features) / "README.md").read_text()
    after = "What every response carries"
    for heading in [after, *headings, "Layout"]:
        assert f"\n\n## {heading}\n\n" in readme, heading
    found = re.findall(r"^## (.+)$", readme, re.MULTILINE)
    start = found.index(after)
    assert found[start : start + len(headings) + 2] == [after, *headings, "Layout"]
