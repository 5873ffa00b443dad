"""The eval promotion gate on a real prompt repository: passes on a cassette recorded for the promoted commit,
refuses (naming the failing case) for a commit the cassette does not cover, and `--override --reason` promotes
anyway with an audit entry saying who and why."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from click.testing import CliRunner
from sqlmodel import Session, select

from gateway.cli import cli
from registry.db import make_engine
from registry.governance.tables import GovAuditEntry
from tests.support.gateway_server import running_gateway

PROMPT = """---
name: greet
description: test prompt
owner: tests@example.com
team: qa
model: test-model
variables:
  question:
    type: string
---
## system
System {marker}.

## user
{{{{ question }}}} / {marker}
"""
SUITE = """\
cases:
  - id: says-marker
    variables: {question: hello}
    assertions:
      - {contains: "hello / v1"}
"""


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()


def _commit(root: Path, files: dict[str, str], message: str) -> str:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "--quiet", "-m", message)
    return _git(root, "rev-parse", "HEAD")


def test_gate_passes_refuses_and_is_overridden_with_audit(tmp_path: Path, upstream) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet", "-b", "main")
    _git(repo, "config", "user.email", "gatekeeper@example.com")
    _git(repo, "config", "user.name", "Gate Keeper")
    prompts = repo / "prompts"
    v1 = _commit(repo, {"prompts/greet.md": PROMPT.format(marker="v1"), "prompts/greet.eval.yaml": SUITE,
                        "prompts/labels.yaml": "{}\n"}, "greet v1")
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    config_path = tmp_path / "gateway.yaml"
    model = {"model_name": "test-model", "litellm_params": {"model": "openai/test-model", "api_base": upstream.base_url,
                                                             "api_key": "sk-upstream"}}
    config_path.write_text(yaml.safe_dump({"model_list": [model], "eval": {"gates": {"production": ["prompt"]}}}))
    env = {"DATABASE_URL": db, "WARDEN_CONFIG": str(config_path), "WARDEN_PROMPTS_DIR": str(prompts)}
    runner = CliRunner()

    gateway_config = {"model_list": [model], "prompts": {"path": str(prompts), "poll_interval_s": 0.1}}
    with running_gateway(gateway_config, f"sqlite:///{tmp_path / 'gw.db'}", None, tmp_path) as gw:
        recorded = runner.invoke(cli, ["eval", "run", str(prompts / "greet.eval.yaml"), "--prompt", f"greet@{v1}",
                                       "--gateway", gw.base_url, "--key", gw.keys["alpha"], "--record"], env=env)
    assert recorded.exit_code == 0, recorded.output
    _git(repo, "add", "prompts/greet.cassette.json")
    _git(repo, "commit", "--quiet", "-m", "greet: eval cassette")

    promoted = runner.invoke(cli, ["prompts", "--prompts-dir", str(prompts), "promote", "greet", v1[:7],
                                   "--label", "production"], env=env)
    assert promoted.exit_code == 0, promoted.output
    assert f"promote greet to production at {v1[:7]}" in promoted.output

    v2 = _commit(repo, {"prompts/greet.md": PROMPT.format(marker="v2")}, "greet v2")
    refused = runner.invoke(cli, ["prompts", "--prompts-dir", str(prompts), "promote", "greet", v2[:7],
                                  "--label", "production"], env=env)
    assert refused.exit_code == 1
    assert "refused by a gate" in refused.output
    assert "eval: greet/says-marker" in refused.output and "re-record the cassette" in refused.output
    assert yaml.safe_load((prompts / "labels.yaml").read_text())["greet"]["production"] == v1

    no_reason = runner.invoke(cli, ["prompts", "--prompts-dir", str(prompts), "promote", "greet", v2[:7],
                                    "--label", "production", "--override"], env=env)
    assert no_reason.exit_code == 2

    overridden = runner.invoke(cli, ["prompts", "--prompts-dir", str(prompts), "promote", "greet", v2[:7],
                                     "--label", "production", "--override", "--reason", "hotfix for incident 42"],
                               env=env)
    assert overridden.exit_code == 0, overridden.output
    assert yaml.safe_load((prompts / "labels.yaml").read_text())["greet"]["production"] == v2
    engine = make_engine(db)
    with Session(engine) as session:
        entries = list(session.exec(select(GovAuditEntry).where(GovAuditEntry.chain == "prompts")))
    engine.dispose()
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor, entry.action, entry.subject) == ("gatekeeper@example.com", "prompt.promote.override",
                                                          "greet@production")
    assert entry.after["commit"] == v2 and entry.after["reason"] == "hotfix for incident 42"
    assert any("says-marker" in r for r in entry.after["gate_reasons"])
