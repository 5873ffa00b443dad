"""Listings print an aligned table on a terminal, JSON with `--format json`, and their old plain lines when piped."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from gateway.cli import cli, output
from registry.db import make_engine
from registry.migrate import upgrade
from registry.monitoring.tables import AlertRecord, CheckResult
from tests.support.cli_keys import named_key


@pytest.fixture()
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    upgrade(url)
    monkeypatch.setenv("WARDEN_ACTOR", named_key(url, "ops"))  # registry commands act as a named key

    def invoke(*args: str, terminal: bool = False) -> str:
        monkeypatch.setattr(output, "is_terminal", lambda: terminal)
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    invoke("teams", "create", "alpha", "--models", "a,b", "--budget", "5")
    invoke("keys", "create", "--team", "alpha")
    invoke("models", "register", "churn", "--kind", "classical", "--owner", "ann", "--team", "alpha",
           "--use-case", "predict churn")
    with Session(make_engine(url)) as session:
        session.add(AlertRecord(model_name="churn", model_version="1", check="psi", level="warning",
                                message="PSI of tenure is 0.3"))
        now = datetime.now(timezone.utc)
        session.add(CheckResult(model_name="churn", model_version="1", check="psi", subject="tenure", value=0.3,
                                level="warning", window_start=now - timedelta(days=7), window_end=now))
        session.commit()
    return invoke


@pytest.mark.parametrize("command, header, value", [
    (("keys", "list"), "PREFIX", "alpha"),
    (("teams", "list"), "BUDGET_USD", "alpha"),
    (("models", "list"), "RISK_TIER", "churn"),
    (("models", "audit", "churn"), "ACTION", "model.create"),
    (("audit", "list"), "CHAIN", "model.create"),
    (("monitor", "alerts"), "LEVEL", "PSI of tenure is 0.3"),
    (("monitor", "results", "churn"), "SUBJECT", "tenure"),
])
def test_a_terminal_gets_a_table_and_scripts_get_json(run, command: tuple[str, ...], header: str,  # type: ignore[no-untyped-def]
                                                      value: str) -> None:
    shown = run(*command, terminal=True).splitlines()
    assert header in shown[0].split() and set(shown[1]) <= {"-", " "} and any(value in line for line in shown[2:])
    assert all(len(line) <= len(shown[1]) for line in shown[2:])  # aligned under the rule
    data = json.loads(run(*command, "--format", "json"))
    assert isinstance(data, list) and data and value in json.dumps(data)
    assert run(*command, "--format", "table") == run(*command, terminal=True)


def test_piped_output_keeps_the_plain_lines(run) -> None:  # type: ignore[no-untyped-def]
    assert run("models", "list").startswith("churn\tclassical\ttier=-\t")
    assert run("keys", "list").splitlines()[0].split()[:3] == ["id", "prefix", "role"]
    assert "a, b" in run("teams", "list", terminal=True) and "a,b" in run("teams", "list")
    assert "\tmodel.create\t" in run("models", "audit", "churn")
    assert json.loads(run("models", "list", "--overdue"))[0]["model"] == "churn"  # was JSON, stays JSON
    assert run("monitor", "alerts", "--level", "critical", terminal=True).splitlines()[-1] == "(none)"
