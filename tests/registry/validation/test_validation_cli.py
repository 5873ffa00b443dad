"""`warden models validate` through click's CliRunner: CSV, Parquet and JSON lines, the HTML report, ONNX
perturbations, and bad input answered with exit status 2 and a message naming the offending value."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner, Result

from gateway.cli.models import models_group
from registry.db import make_engine, session_scope
from registry.governance.access import find_model, find_version
from tests.registry.validation.validation_synth import evaluation_set, write
from tests.support.cli_keys import named_key

SPEC = {"validation": {"thresholds": {"accuracy": 0.75}, "segment_columns": ["region"],
                       "sensitive_columns": ["group"]}}


_KEYS: dict[str, str] = {}


def _vera(url: str) -> str:
    """Vera's admin key on the database at `url` (created on first use): what the commands act as."""
    if url not in _KEYS:
        _KEYS[url] = named_key(url, "Vera")
    return _KEYS[url]


@pytest.fixture
def vera(database_url: str) -> str:
    return _vera(database_url)


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(models_group, ["--database-url", url, "--actor", _vera(url), *args])


def _registered(url: str, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    for argv in (("register", "churn", "--kind", "classical", "--owner", "alice", "--team", "risk", "--use-case",
                  "retention"), ("version", "churn", "1.0", "--spec", str(spec))):
        assert _run(url, *argv).exit_code == 0


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_validate_reads_every_format_and_stores_the_report(database_url: str, tmp_path: Path, suffix: str,
                                                         vera: str) -> None:
    _registered(database_url, tmp_path)
    data = write(evaluation_set(), tmp_path / f"eval{suffix}")
    html = tmp_path / "report.html"
    result = _run(database_url, "validate", "churn", "1.0", "--data", str(data), "--html", str(html),
                  "--filter", "income > 60000", "--bootstrap", "50")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["passed"] and report["rows"] == 1600 and report["validator"] == vera
    assert report["robustness"][0]["kind"] == "filter"
    assert any("no model file" in s for s in report["skipped"])
    page = html.read_text()
    assert page.count("<svg") >= 4 and "Calibration" in page and "Fairness: group" in page
    engine = make_engine(database_url)
    with session_scope(engine) as s:
        stored = find_version(s, find_model(s, "churn"), "1.0").validation_report
    engine.dispose()
    assert stored is not None and stored["data_sha256"] == report["data_sha256"]


def _onnx_model(path: Path) -> Path:
    """score = sigmoid(3 * (income - 50000) / 10000), the model the generated scores come from."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["z"]), helper.make_node("Add", ["z", "b"], ["y"]),
         helper.make_node("Sigmoid", ["y"], ["score"])],
        "logistic",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 1])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, [None, 1])],
        [numpy_helper.from_array(np.array([[3e-4]], dtype=np.float32), "w"),
         numpy_helper.from_array(np.array([-15.0], dtype=np.float32), "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_perturbations_that_break_the_model_show(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    _registered(url, tmp_path)
    data = write(evaluation_set(), tmp_path / "eval.csv")
    model = _onnx_model(tmp_path / "m.onnx")
    result = _run(url, "validate", "churn", "1.0", "--data", str(data), "--model", str(model), "--dry-run")
    report = json.loads(result.output)
    scenarios = {r["kind"]: r for r in report["robustness"]}
    assert set(scenarios) == {"noise", "missing", "out_of_range"}
    assert scenarios["missing"]["invalid_outputs"] > 0 and not scenarios["missing"]["passed"]
    assert scenarios["out_of_range"]["drop"]["accuracy"] > 0.01
    assert abs(scenarios["noise"]["drop"]["accuracy"]) < 0.05
    assert result.exit_code == 1 and not report["passed"]


BAD = [
    ("missing label", lambda f: f.drop(columns=["label"]), (), "label column 'label' is not in"),
    ("unknown sensitive", lambda f: f, ("--sensitive", "ethnicity"), "sensitive column(s) ['ethnicity'] not in"),
    ("non-numeric predictions", lambda f: f.assign(prediction="yes"), (), "must be numeric: found 'yes'"),
    ("missing scores", lambda f: f.assign(score=np.where(f.index % 7 == 0, np.nan, f["score"])), (),
     "score column 'score' of 'eval.csv' has 229 missing value(s)"),
    ("bad filter", lambda f: f, ("--filter", "income >> 3"), "invalid filter clause 'income >> 3'"),
    ("unknown segment", lambda f: f, ("--segment", "city"), "segment column(s) ['city'] not in"),
]


@pytest.mark.parametrize(("label", "mutate", "extra", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_exits_2_with_a_message(tmp_path: Path, label: str, mutate: object, extra: tuple[str, ...],
                                          message: str) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    _registered(url, tmp_path)
    data = write(mutate(evaluation_set()), tmp_path / "eval.csv")  # type: ignore[operator]
    result = _run(url, "validate", "churn", "1.0", "--data", str(data), *extra)
    assert result.exit_code == 2 and message in result.output, (label, result.output)
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "'empty.csv' is empty"),
    ("header.csv", b"label,prediction\n", "'header.csv' has no rows"),
    ("eval.txt", b"label\n1\n", "cannot tell the format of"),
    ("broken.parquet", b"not parquet", "cannot read 'broken.parquet' as parquet"),
])
def test_unreadable_files_exit_2(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    _registered(url, tmp_path)
    (tmp_path / name).write_bytes(content)
    result = _run(url, "validate", "churn", "1.0", "--data", str(tmp_path / name))
    assert result.exit_code == 2 and message in result.output, result.output


def test_edge_cases_file_reports_the_drop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    _registered(url, tmp_path)
    data = write(evaluation_set(), tmp_path / "eval.csv")
    edge = write(evaluation_set(worse_region="east").query("region == 'east'"), tmp_path / "edge.jsonl")
    result = _run(url, "validate", "churn", "1.0", "--data", str(data), "--edge-cases", str(edge), "--dry-run")
    report = json.loads(result.output)
    scenario = report["robustness"][0]
    assert scenario["kind"] == "edge_cases" and scenario["rows"] == 400 and not scenario["passed"]
    assert scenario["drop"]["accuracy"] > 0.4 and result.exit_code == 1
