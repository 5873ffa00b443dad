"""`warden models ...` and `warden audit ...` through click's CliRunner, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner, Result
from gov_helpers import charter, dataset, full_card
from sqlalchemy import update
from sqlalchemy.engine import Engine

from gateway.cli.models import audit_group, models_group
from gateway.cli.models_ops import SCHEMAS
from tests.support.cli_keys import named_key
from registry.db import session_scope
from registry.governance.tables import GovAuditEntry
from registry.keys import create_team


@pytest.fixture
def db_url(engine: Engine, request: pytest.FixtureRequest) -> str:
    if engine.dialect.name == "sqlite":
        return engine.url.render_as_string(hide_password=False)
    schema: str = request.getfixturevalue("pg_schema")
    return engine.url.set(query={"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def ops_key(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every command acts as Olga's admin key (WARDEN_ACTOR), as an operator's shell would."""
    key_id = named_key(engine, "Olga Ops")
    monkeypatch.setenv("WARDEN_ACTOR", key_id)
    return key_id


def _run(group: click.Group, db_url: str, *args: str) -> Result:
    argv = ["--database-url", db_url, *args]
    return CliRunner().invoke(group, argv, catch_exceptions=False)


def test_cli_register_classify_card_promote_audit(engine: Engine, db_url: str, tmp_path: Path) -> None:
    assert _run(models_group, db_url, "init-db").exit_code == 0
    ok = _run(
        models_group,
        db_url,
        "register",
        "churn",
        "--kind",
        "classical",
        "--owner",
        "alice",
        "--team",
        "risk",
        "--use-case",
        "retention",
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["phase"] == "problem_framing"
    res = _run(
        models_group,
        db_url,
        "classify",
        "churn",
        "--financial",
        "medium",
        "--operational",
        "low",
        "--reputational",
        "low",
        "--human",
        "low",
        "--automation",
        "assistive",
        "--eu-class",
        "minimal",
    )
    assert res.exit_code == 0 and json.loads(res.output)["tier"] == 3
    (tmp_path / "charter.yaml").write_text(yaml.safe_dump(charter().model_dump(mode="json")))
    assert _run(models_group, db_url, "record", "churn", "charter", str(tmp_path / "charter.yaml")).exit_code == 0
    (tmp_path / "bad.yaml").write_text("problem: x\nunknown_key: 1\n")
    bad = _run(models_group, db_url, "record", "churn", "charter", str(tmp_path / "bad.yaml"))
    assert bad.exit_code == 1 and "not a valid ProjectCharter" in bad.output
    assert _run(models_group, db_url, "phase", "churn", "data_preparation").output.strip() == "data_preparation"

    assert _run(models_group, db_url, "version", "churn", "1.0").exit_code == 0
    check = _run(models_group, db_url, "card", "check", "churn")
    assert check.exit_code == 1 and "details" in check.output
    (tmp_path / "card.json").write_text(full_card("churn", audit=False).model_dump_json())
    assert _run(models_group, db_url, "card", "set", "churn", str(tmp_path / "card.json")).exit_code == 0
    assert _run(models_group, db_url, "card", "check", "churn").exit_code == 0
    rendered = _run(models_group, db_url, "card", "render", "churn")
    assert "## Risk classification" in rendered.output and "**Tier:** 3" in rendered.output

    refused = _run(models_group, db_url, "promote", "churn", "1.0", "production")
    assert refused.exit_code == 1 and "validation report" in refused.output and "deployment record" in refused.output
    assert _run(models_group, db_url, "alias", "churn", "challenger", "1.0").exit_code == 0
    listing = _run(models_group, db_url, "list", "--tier", "3")
    assert listing.output.startswith("churn\tclassical\ttier=3")
    assert "model.classify" in _run(models_group, db_url, "audit", "churn").output

    verified = _run(audit_group, db_url, "verify")
    assert verified.exit_code == 0 and "intact" in verified.output
    exported = _run(audit_group, db_url, "export", "--format", "jsonl")
    assert sum(1 for line in exported.output.splitlines() if line.startswith("{")) >= 6
    with session_scope(engine) as s:
        s.execute(
            update(GovAuditEntry).where(GovAuditEntry.seq == 2, GovAuditEntry.chain == "churn").values(actor="eve")
        )
    broken = _run(audit_group, db_url, "verify")
    assert broken.exit_code == 1 and "chain 'churn' at seq 2" in broken.output


def test_cli_audit_limit_shows_the_latest_entries(db_url: str) -> None:
    register = ("register", "churn", "--kind", "classical", "--owner", "a", "--team", "risk", "--use-case", "x")
    assert _run(models_group, db_url, *register).exit_code == 0
    for alias in ("a1", "a2", "a3"):
        assert _run(models_group, db_url, "version", "churn", alias).exit_code == 0
    every = _run(models_group, db_url, "audit", "churn").output.splitlines()
    latest = _run(models_group, db_url, "audit", "churn", "--limit", "2").output.splitlines()
    assert len(every) >= 4
    assert latest == every[-2:]
    assert latest[-1].split("\t")[5] == "model:churn@a3"


def test_cli_dataset_amend_and_retire(db_url: str, tmp_path: Path) -> None:
    register = ("register", "churn", "--kind", "classical", "--owner", "a", "--team", "risk", "--use-case", "x")
    assert _run(models_group, db_url, *register).exit_code == 0
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump(dataset(documented=False).model_dump(mode="json")))
    assert _run(models_group, db_url, "record", "churn", "dataset", str(bare)).exit_code == 0
    full = tmp_path / "full.yaml"
    full.write_text(yaml.safe_dump(dataset().model_dump(mode="json")))
    amended = _run(models_group, db_url, "dataset", "amend", "churn", str(full))
    assert amended.exit_code == 0 and json.loads(amended.output)[0]["data_card"]["source"] == "warehouse"
    retired = _run(models_group, db_url, "dataset", "retire", "churn", "loans", "2024.1")
    assert retired.exit_code == 0 and "retired" in retired.output
    missing = _run(models_group, db_url, "dataset", "retire", "churn", "loans", "1999")
    assert missing.exit_code == 1 and "no dataset 'loans' version '1999'" in missing.output


def test_cli_reviewers_grant_revoke_and_list(db_url: str) -> None:
    assert _run(models_group, db_url, "reviewers", "grant", "dan", "peer", "data_science_lead").exit_code == 0
    assert _run(models_group, db_url, "reviewers", "grant", "rita", "risk_compliance").exit_code == 0
    revoked = _run(models_group, db_url, "reviewers", "grant", "dan", "peer", "--revoke")
    assert revoked.output == "dan\tdata_science_lead\n"
    listing = _run(models_group, db_url, "reviewers", "list").output.splitlines()
    assert listing == ["dan\tdata_science_lead", "rita\trisk_compliance"]
    unknown = CliRunner().invoke(models_group, ["--database-url", db_url, "reviewers", "grant", "dan", "pope"])
    assert unknown.exit_code == 2 and "'pope' is not one of" in unknown.output
    trail = [json.loads(line) for line in _run(audit_group, db_url, "export").output.splitlines() if line[:1] == "{"]
    assert [e["after"]["roles"] for e in trail if e["action"] == "reviewer.roles" and e["subject"] == "user:dan"] == [
        ["data_science_lead", "peer"],
        ["data_science_lead"],
    ]


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_cli_schema_prints_an_annotated_template_that_validates(db_url: str, kind: str) -> None:
    printed = _run(models_group, db_url, "schema", kind)
    assert printed.exit_code == 0 and printed.output.startswith(f"# {SCHEMAS[kind].__name__}")
    assert "required" in printed.output and "optional" in printed.output
    SCHEMAS[kind].model_validate(yaml.safe_load(printed.output))


def test_cli_version_update_fixes_the_spec_of_a_development_version(db_url: str, tmp_path: Path) -> None:
    register = ("register", "churn", "--kind", "classical", "--owner", "a", "--team", "risk", "--use-case", "x")
    assert _run(models_group, db_url, *register).exit_code == 0
    assert _run(models_group, db_url, "version", "churn", "1").exit_code == 0
    (tmp_path / "spec.yaml").write_text("framework: lightgbm\nfeatures: [income]\n")
    fixed = _run(models_group, db_url, "version", "churn", "1", "--spec", str(tmp_path / "spec.yaml"), "--update")
    assert fixed.exit_code == 0 and json.loads(fixed.output)["spec"]["framework"] == "lightgbm"
    assert _run(models_group, db_url, "version", "churn", "1", "--update").exit_code == 2
    assert _run(models_group, db_url, "promote", "churn", "1", "staging").exit_code == 0
    frozen = _run(models_group, db_url, "version", "churn", "1", "--spec", str(tmp_path / "spec.yaml"), "--update")
    assert frozen.exit_code == 1 and "only 'development' versions are editable" in frozen.output


def test_cli_acts_as_a_named_key_with_its_roles(engine: Engine, db_url: str, ops_key: str) -> None:
    register = ("register", "churn", "--kind", "classical", "--owner", "a", "--team", "risk", "--use-case", "x")
    nobody = CliRunner().invoke(models_group, ["--database-url", db_url, "--actor", "mallory", *register])
    assert nobody.exit_code == 1 and "'mallory' names no live API key" in nobody.output
    assert _run(models_group, db_url, *register).exit_code == 0

    create_team(engine, "growth", exist_ok=True)
    named_key(engine, "Gus Growth", admin=False, team="growth")
    as_gus = ["--database-url", db_url, "--actor", "Gus Growth"]
    denied = CliRunner().invoke(models_group, [*as_gus, "version", "churn", "1.0"])
    assert denied.exit_code == 1 and "model 'churn' is not registered" in denied.output  # not an admin any more

    assert _run(models_group, db_url, "version", "churn", "1.0").exit_code == 0
    last = _run(models_group, db_url, "audit", "churn", "--limit", "1").output.strip().split("\t")
    assert (last[2], last[3], last[5]) == ("Olga Ops", ops_key, "model:churn@1.0")
    assert "intact" in _run(audit_group, db_url, "verify").output


def test_cli_phase_by_framework_number_up_to_7(db_url: str) -> None:
    register = ("register", "churn", "--kind", "classical", "--owner", "a", "--team", "risk", "--use-case", "x")
    assert _run(models_group, db_url, *register).exit_code == 0
    assert _run(models_group, db_url, "phase", "churn", "1").output.strip() == "problem_framing"
    seven = _run(models_group, db_url, "phase", "churn", "7")
    assert seven.exit_code == 1 and "warden models decommission start churn" in seven.output
    assert _run(models_group, db_url, "phase", "churn", "8").exit_code == 2


def test_cli_grants_reviewer_roles_to_a_key_by_person(engine: Engine, db_url: str) -> None:
    create_team(engine, "board", exist_ok=True)
    lena = named_key(engine, "Lena Legal (grant test)", admin=False, team="board")
    granted = _run(models_group, db_url, "reviewers", "grant", "Lena Legal (grant test)", "legal")
    assert granted.exit_code == 0 and granted.output == f"{lena}@board\tlegal\n"
