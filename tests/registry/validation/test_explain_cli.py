"""`warden models explain` and `warden models interpretability` through CliRunner on SQLite and PostgreSQL: the
computed record is stored on the version, audited, and shown in the version's rendered model card."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from gateway.cli.models import audit_group
from tests.registry.validation.explain_synth import dataset, onnx_model, skops_model
from tests.registry.validation.test_validation_cli import _registered, _run, _vera

CARD = {"details": {"name": "churn", "version": "1", "model_type": "classifier", "owners": ["alice"]}}


def test_explain_stores_the_record_and_the_card_shows_it(database_url: str, tmp_path: Path) -> None:
    _registered(database_url, tmp_path)
    data = tmp_path / "val.csv"
    dataset().to_csv(data, index=False)
    model = skops_model(tmp_path / "m.skops", dataset())
    done = _run(database_url, "explain", "churn", "1.0", "--model", str(model), "--data", str(data), "--repeats", "3")
    assert done.exit_code == 0, done.output
    printed = json.loads(done.output)
    assert [i["feature"] for i in printed["importances"]] == ["signal", "noise"]
    assert printed["repeats"] == 3 and printed["generated_by"] == "warden models explain"

    shown = _run(database_url, "interpretability", "churn", "1.0")
    assert json.loads(shown.output) == printed
    version = json.loads(_run(database_url, "show", "churn").output)["versions"][0]
    assert version["interpretability"] == printed

    card = tmp_path / "card.yaml"
    card.write_text(yaml.safe_dump(CARD))
    assert _run(database_url, "card", "set", "churn", str(card)).exit_code == 0
    page = _run(database_url, "card", "render", "churn", "--version", "1.0").output
    assert "## Interpretability" in page and "- **Method:** permutation (drop of roc_auc)" in page
    assert "| 1 | signal |" in page and "| 2 | noise |" in page
    assert "## Validation report\n\n_Not recorded._" in page

    trail = _audit(database_url)
    [entry] = [e for e in trail if e["action"] == "version.interpretability"]
    assert entry["subject"] == "model:churn@1.0" and entry["before"] is None
    assert entry["after"]["importances"][0]["feature"] == "signal"


def _audit(url: str) -> list[dict[str, object]]:
    from click.testing import CliRunner

    out = CliRunner().invoke(audit_group, ["--database-url", url, "--actor", _vera(url), "export"]).output
    return [json.loads(line) for line in out.splitlines() if line[:1] == "{"]


def test_a_typed_record_replaces_the_computed_one_and_bad_input_is_named(database_url: str, tmp_path: Path) -> None:
    _registered(database_url, tmp_path)
    record = tmp_path / "shap.yaml"
    record.write_text(yaml.safe_dump({
        "method": "shap", "author": "Vera", "recorded_on": "2030-01-02",
        "artifact_uri": "s3://ml/churn/1.0/shap.parquet", "artifact_sha256": "a" * 64,
        "importances": [{"feature": "income", "importance": 0.4}, {"feature": "tenure", "importance": 0.1}]}))
    done = _run(database_url, "interpretability", "churn", "1.0", str(record))
    assert done.exit_code == 0, done.output
    assert json.loads(_run(database_url, "interpretability", "churn", "1.0").output)["method"] == "shap"

    record.write_text(yaml.safe_dump({"method": "magic", "author": "Vera", "recorded_on": "2030-01-02",
                                      "importances": [{"feature": "x", "importance": 1}]}))
    bad = _run(database_url, "interpretability", "churn", "1.0", str(record))
    assert bad.exit_code == 1 and "method" in bad.output and "'magic'" in bad.output

    data = tmp_path / "val.csv"
    dataset().drop(columns=["label"]).to_csv(data, index=False)
    model = onnx_model(tmp_path / "m.onnx")
    nolabel = _run(database_url, "explain", "churn", "1.0", "--model", str(model), "--data", str(data))
    assert nolabel.exit_code == 2 and "label column 'label' is not in 'val.csv'" in nolabel.output
    dataset().to_csv(data, index=False)
    gone = _run(database_url, "explain", "churn", "1.0", "--model", str(tmp_path / "no.onnx"), "--data", str(data))
    assert gone.exit_code == 2 and "does not exist" in gone.output
    unknown = _run(database_url, "explain", "churn", "9.9", "--model", str(model), "--data", str(data))
    assert unknown.exit_code == 1 and "'9.9'" in unknown.output
