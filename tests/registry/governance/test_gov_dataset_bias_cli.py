"""`warden models dataset bias` through CliRunner on both databases: stored on the dataset version, audited."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from gov_helpers import dataset
from test_gov_cli import _run, db_url, ops_key  # noqa: F401 - fixtures shared with the other CLI tests

from gateway.cli.models import audit_group, models_group
from tests.registry.validation.bias_synth import check, training_set

REGISTER = ("register", "churn", "--kind", "classical", "--owner", "a", "--team", "risk", "--use-case", "x")


def _recorded(db_url: str, tmp_path: Path) -> Path:
    """Model churn with dataset loans@2024.1 recorded; returns the generated training set's path."""
    assert _run(models_group, db_url, *REGISTER).exit_code == 0
    record = tmp_path / "ds.yaml"
    record.write_text(yaml.safe_dump(dataset().model_dump(mode="json")))
    assert _run(models_group, db_url, "record", "churn", "dataset", str(record)).exit_code == 0
    data = tmp_path / "train.csv"
    training_set().to_csv(data, index=False)
    return data


def test_cli_dataset_bias_is_stored_and_audited(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    data = _recorded(db_url, tmp_path)

    args = ("dataset", "bias", "churn", "loans", "2024.1", "--data", str(data), "--sensitive", "group",
            "--label", "label", "--segment", "region")
    done = _run(models_group, db_url, *args)
    assert done.exit_code == 0, done.output
    printed = json.loads(done.output)
    assert printed["overall_label_rate"] == 0.4 and printed["source"] == "train.csv"
    check(printed["groups"])

    stored = json.loads(_run(models_group, db_url, "show", "churn").output)["model"]["datasets"]
    assert len(stored) == 1 and stored[0]["bias"] == printed and stored[0]["data_card"]["source"] == "warehouse"
    trail = [json.loads(line) for line in _run(audit_group, db_url, "export").output.splitlines() if line[:1] == "{"]
    entry = [e for e in trail if e["action"] == "model.dataset.bias"]
    assert len(entry) == 1 and entry[0]["subject"] == "model:churn/dataset:loans@2024.1"
    assert entry[0]["before"].get("bias") is None and entry[0]["after"]["bias"]["rows"] == 1000


def test_cli_dataset_bias_errors(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    assert _run(models_group, db_url, *REGISTER).exit_code == 0
    data = tmp_path / "train.csv"
    training_set().to_csv(data, index=False)
    missing = _run(models_group, db_url, "dataset", "bias", "churn", "loans", "1999", "--data", str(data),
                   "--sensitive", "group")
    assert missing.exit_code == 1 and "no dataset 'loans' version '1999'" in missing.output
    column = _run(models_group, db_url, "dataset", "bias", "churn", "loans", "1999", "--data", str(data),
                  "--sensitive", "ethnicity")
    assert column.exit_code == 1 and "column 'ethnicity' is not in 'train.csv'" in column.output
    nofile = _run(models_group, db_url, "dataset", "bias", "churn", "loans", "1999", "--data",
                  str(tmp_path / "nope.csv"), "--sensitive", "group")
    assert nofile.exit_code == 1 and "cannot read" in nofile.output


def test_cli_waive_bias_needs_a_board_role_and_is_audited(db_url: str, tmp_path: Path, ops_key: str) -> None:  # noqa: F811
    data = _recorded(db_url, tmp_path)
    assert _run(models_group, db_url, "dataset", "bias", "churn", "loans", "2024.1", "--data", str(data),
                "--sensitive", "group", "--label", "label").exit_code == 0
    waive = ("dataset", "waive-bias", "churn", "loans", "2024.1", "--column", "group", "--value", "B",
             "--kind", "label_rate_gap", "--role", "ethics", "--reason", "documented in the portfolio study")
    refused = _run(models_group, db_url, *waive)
    assert refused.exit_code == 1 and "does not hold the board role 'ethics'" in refused.output

    assert _run(models_group, db_url, "reviewers", "grant", ops_key, "ethics").exit_code == 0
    done = _run(models_group, db_url, *waive)
    assert done.exit_code == 0 and "label_rate_gap of group=B" in done.output, done.output
    [stored] = json.loads(_run(models_group, db_url, "show", "churn").output)["model"]["datasets"][0]["bias_waivers"]
    assert stored["approved_by"] == "Olga Ops" and stored["role"] == "ethics" and len(stored["analysis_sha256"]) == 64
    trail = [json.loads(line) for line in _run(audit_group, db_url, "export").output.splitlines() if line[:1] == "{"]
    assert [e["subject"] for e in trail if e["action"] == "model.dataset.bias_waiver"] == [
        "model:churn/dataset:loans@2024.1"]
    bad = _run(models_group, db_url, *waive[:-4], "--role", "ethics", "--kind", "size", "--reason", "x")
    assert bad.exit_code == 2 and "'size'" in bad.output
