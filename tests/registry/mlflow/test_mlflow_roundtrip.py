"""`warden models import/export --mlflow` against a real MLflow server, populated with MLflow's own client: models,
versions, run parameters and metrics in; re-running changes nothing; changes in MLflow update development versions and
leave frozen ones; governance status out as MLflow tags; bad input answered with a clear message."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlmodel import select

from gateway.cli.models import models_group
from registry.db import make_engine, session_scope
from registry.governance.access import find_model, find_version
from registry.governance.tables import GovAuditEntry
from tests.support.cli_keys import named_key

from mlflow.tracking import MlflowClient

_ACTORS: dict[str, str] = {}

# The MLflow server takes 30-90 s to start on a loaded 2-core machine; the module's first test pays for it.
pytestmark = pytest.mark.timeout(600)


def _run(url: str, *args: str) -> Result:
    """`warden models ARGS` acting as an admin key held by ivan (created once per database)."""
    actor = _ACTORS.get(url) or _ACTORS.setdefault(url, named_key(url, "ivan"))
    return CliRunner().invoke(models_group, ["--database-url", url, "--actor", actor, *args])


def _logged_run(client: MlflowClient, experiment: str, params: dict[str, Any], metrics: dict[str, float]) -> str:
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    run = client.create_run(experiment_id, tags={"mlflow.autologging": "sklearn",
                                                 "estimator_class": "sklearn.linear_model.LogisticRegression"})
    for key, value in params.items():
        client.log_param(run.info.run_id, key, value)
    for key, value in metrics.items():
        client.log_metric(run.info.run_id, key, value)
    client.set_terminated(run.info.run_id)
    return str(run.info.run_id)


@pytest.fixture()
def populated(mlflow_uri: str) -> dict[str, str]:
    """Fresh models per test (the server is shared by the module): `churn-<n>` tagged for Warden, `untagged-<n>`."""
    client = MlflowClient(tracking_uri=mlflow_uri, registry_uri=mlflow_uri)
    suffix = uuid.uuid4().hex[:8]
    name = f"churn-{suffix}"
    client.create_registered_model(name, tags={"warden.team": "risk", "warden.owner": "alice",
                                               "warden.use_case": "retention"}, description="churn scorer")
    runs = {}
    for version, (c, acc) in enumerate(((0.5, 0.85), (1.0, 0.87)), start=1):
        run_id = _logged_run(client, "churn", {"C": c, "penalty": "l2", "balanced": True},
                             {"train_accuracy": acc + 0.05, "val_accuracy": acc, "test_auc": acc + 0.02})
        client.create_model_version(name, source=f"runs:/{run_id}/model", run_id=run_id)
        runs[str(version)] = run_id
    client.set_registered_model_alias(name, "champion", "1")
    client.create_registered_model(f"untagged-{suffix}")
    run_id = _logged_run(client, "other", {"depth": 3}, {"rmse": 1.5})
    client.create_model_version(f"untagged-{suffix}", source=f"runs:/{run_id}/model", run_id=run_id)
    return {**runs, "name": name, "untagged": f"untagged-{suffix}"}


def _audit_count(url: str) -> int:
    engine = make_engine(url)
    with session_scope(engine) as s:
        count = len(list(s.exec(select(GovAuditEntry))))
    engine.dispose()
    return count


def _spec(url: str, name: str, version: str) -> dict[str, Any]:
    engine = make_engine(url)
    with session_scope(engine) as s:
        spec = dict(find_version(s, find_model(s, name), version).spec)
    engine.dispose()
    return spec


def _set_status(url: str, name: str, version: str, status: str) -> None:
    engine = make_engine(url)
    with session_scope(engine) as s:
        row = find_version(s, find_model(s, name), version)
        row.status = status
        s.add(row)
    engine.dispose()


def test_import_is_idempotent_updates_development_versions_and_exports_status(
    database_url: str, mlflow_uri: str, populated: dict[str, str]
) -> None:
    name = populated["name"]
    first = _run(database_url, "import", "--mlflow", mlflow_uri, "--model", name)
    assert first.exit_code == 0, first.output
    [model] = json.loads(first.output)
    assert model["created"] and [(v["version"], v["action"]) for v in model["versions"]] == [
        ("1", "created"), ("2", "created")]
    spec = _spec(database_url, name, "1")
    assert spec["hyperparameters"] == {"C": 0.5, "balanced": True, "penalty": "l2"}
    assert {(m["split"], m["name"], round(m["value"], 6)) for m in spec["metrics"]} == {
        ("train", "accuracy", 0.9), ("validation", "accuracy", 0.85), ("test", "auc", 0.87)}
    assert spec["lineage"]["run_id"] == populated["1"] and spec["lineage"]["experiment"] == "churn"
    assert spec["lineage"]["mlflow"] == {"model": name, "version": "1", "stage": "None",
                                         "aliases": ["champion"]}
    assert spec["lineage"]["artifacts"] == [{"uri": f"runs:/{populated['1']}/model", "sha256": None}]
    assert spec["framework"] == "sklearn"

    audited = _audit_count(database_url)
    again = _run(database_url, "import", "--mlflow", mlflow_uri, "--model", name)
    assert again.exit_code == 0, again.output
    assert {v["action"] for v in json.loads(again.output)[0]["versions"]} == {"unchanged"}
    assert _audit_count(database_url) == audited  # nothing changed, nothing audited

    client = MlflowClient(tracking_uri=mlflow_uri, registry_uri=mlflow_uri)
    client.log_metric(populated["2"], "val_accuracy", 0.91)
    client.set_registered_model_alias(name, "champion", "2")
    _set_status(database_url, name, "1", "production")
    changed = _run(database_url, "import", "--mlflow", mlflow_uri, "--model", name)
    assert changed.exit_code == 0, changed.output
    actions = {v["version"]: v["action"] for v in json.loads(changed.output)[0]["versions"]}
    assert actions == {"1": "frozen", "2": "updated"}  # v1 lost its alias, but a production spec is never rewritten
    spec2 = _spec(database_url, name, "2")
    assert ("validation", "accuracy", 0.91) in {(m["split"], m["name"], m["value"]) for m in spec2["metrics"]}
    assert spec2["lineage"]["mlflow"]["aliases"] == ["champion"]
    assert _spec(database_url, name, "1")["lineage"]["mlflow"]["aliases"] == ["champion"]
    assert _audit_count(database_url) == audited + 1  # the one update

    exported = _run(database_url, "export", "--mlflow", mlflow_uri)
    assert exported.exit_code == 0, exported.output
    assert {(e["version"], e["tags"]["warden.version_status"]) for e in json.loads(exported.output)} == {
        ("1", "production"), ("2", "development")}
    tags = client.get_model_version(name, "1").tags
    assert tags["warden.version_status"] == "production" and tags["warden.validation"] == "missing"
    model_tags = client.get_registered_model(name).tags
    assert model_tags["warden.phase"] == "problem_framing" and model_tags["warden.team"] == "risk"


def test_a_model_without_team_is_refused_by_name_and_nothing_lands(
    database_url: str, mlflow_uri: str, populated: dict[str, str]
) -> None:
    name, untagged = populated["name"], populated["untagged"]
    result = _run(database_url, "import", "--mlflow", mlflow_uri)
    assert result.exit_code == 1, result.output
    assert "'untagged-" in result.output and "--team" in result.output  # the first untagged model met
    shown = _run(database_url, "show", name)
    assert shown.exit_code == 1 and "not registered" in shown.output  # the whole import rolled back
    ok = _run(database_url, "import", "--mlflow", mlflow_uri, "--team", "ml", "--owner", "bo", "--use-case", "ops")
    assert ok.exit_code == 0, ok.output
    created = {m["model"]: m["created"] for m in json.loads(ok.output)}
    assert created[name] and created[untagged]
    assert _spec(database_url, untagged, "1")["metrics"] == [
        {"split": "validation", "name": "rmse", "value": 1.5, "segment": None}]


@pytest.mark.parametrize("uri, message", [
    ("file:///etc/passwd", "not an http(s) URL"),
    ("http://127.0.0.1:9", "did not answer"),
])
def test_bad_tracking_uris_get_a_clear_error(database_url: str, uri: str, message: str) -> None:
    result = _run(database_url, "import", "--mlflow", uri)
    assert result.exit_code == 1 and message in result.output


def test_an_unknown_mlflow_model_is_named(database_url: str, mlflow_uri: str, populated: dict[str, str]) -> None:
    result = _run(database_url, "import", "--mlflow", mlflow_uri, "--model", "nope")
    assert result.exit_code == 1 and "no registered model 'nope'" in result.output
