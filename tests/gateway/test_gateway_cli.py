"""The `warden` CLI: keys, teams and cost reports against a real registry."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from gateway.cli import cli
from registry.db import make_engine
from registry.tables import UsageRecord


@pytest.fixture()
def run(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", database_url)

    def invoke(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return invoke


def test_keys_and_teams(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    run("teams", "create", "alpha", "--models", "a,b", "--rpm", "10", "--budget", "5")
    assert "already exists" in run("teams", "create", "alpha", code=1)
    out = run("keys", "create", "--team", "alpha", "--rpm", "5", "--budget", "1", "--models", "a", "--expires", "30d")
    key = out.strip().splitlines()[-1]
    assert key.startswith("wk-") and len(key) > 40
    listing = run("keys", "list", "--team", "alpha")
    assert "active" in listing and key not in listing and key[:10] in listing
    key_id = listing.splitlines()[1].split()[0]
    assert "revoked" in run("keys", "revoke", key_id)
    assert "revoked" in run("keys", "list")
    assert "a,b" in run("teams", "list")
    assert "unknown team 'ghost'" in run("keys", "create", "--team", "ghost", code=1)
    assert "invalid duration" in run("keys", "create", "--team", "alpha", "--expires", "soon", code=1)


def test_costs_formats_agree(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    run("teams", "create", "alpha")
    engine = make_engine(database_url)
    with Session(engine) as session:
        for i, (team, model, cost) in enumerate([("alpha", "m1", 0.5), ("alpha", "m2", 0.25), ("beta", "m1", 1.0)]):
            session.add(UsageRecord(request_id=f"r{i}", team=team, requested_model=model, cost_usd=cost,
                                    prompt_tokens=3, completion_tokens=4))
        session.commit()
    engine.dispose()
    report = json.loads(run("costs", "--by", "team", "--format", "json"))
    assert report["total"]["cost_usd"] == pytest.approx(1.75) and report["total"]["requests"] == 3
    rows = list(csv.DictReader(io.StringIO(run("costs", "--by", "model", "--format", "csv"))))
    assert {r["model"]: float(r["cost_usd"]) for r in rows} == pytest.approx({"m1": 1.5, "m2": 0.25})
    table = run("costs", "--by", "team", "--since", "7d")
    assert "TOTAL" in table and "1.750000" in table
    assert "invalid duration" in run("costs", "--since", "yesterday", code=1)


def test_serve_refuses_a_bad_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_list: []\nsurprise: 1\n")
    result = CliRunner().invoke(cli, ["serve", "--config", str(bad)])
    assert result.exit_code == 2 and "unknown key 'surprise'" in result.output


def test_first_start_creates_two_keys_once(database_url: str) -> None:
    from gateway.cli.serve import _bootstrap
    from registry.keys import find_key, hash_key, list_keys
    from registry.migrate import upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    runner = CliRunner()
    with runner.isolation() as (out, _err, *_):
        _bootstrap(engine)
        _bootstrap(engine)  # a second start prints nothing and creates nothing
        printed = out.getvalue().decode()
    keys = [line.split()[-1] for line in printed.splitlines() if "key (" in line]
    assert len(keys) == 2 and printed.count("First start") == 1
    roles = {find_key(engine, hash_key(k))[0].role for k in keys}
    assert roles == {"admin", "team"} and len(list_keys(engine)) == 2
    assert find_key(engine, hash_key(keys[1]))[0].team == "demo"
    engine.dispose()
