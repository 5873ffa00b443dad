"""What replicas_bench.py changes outside the replicas while they serve, and how it reads which version answered:

- a prompt label move: `greet@production` moved from one commit to the next in the prompt repository both
  replicas read (`prompts.path`, polled every `PROMPT_POLL_S`); the version is `x-warden-prompt-commit`;
- registry rollouts of `rollout-llm` (two deployments of `rollout-model`, versions 1 and 2, blue-green):
  a blue-green switch (plan and alias move together), then the `champion` alias moved back by hand; the registry
  is polled every `REGISTRY_REFRESH_S`; the version is `x-warden-deployment` (`rollout-v1`, `rollout-v2`).

The bound a change must land within is the poll interval plus `SLACK_S` for one refresh (git or a query) under load.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import replicas_checks as checks
from registry.db import session_scope
from registry.governance import Actor, ModelIn, RolloutPlan, VersionIn, register_model, register_version, set_rollout
from registry.governance.rollout import switch_blue_green
from registry.governance.tables import GovModel, GovModelVersion
from registry.governance.versions import set_alias

PROMPT_POLL_S = 2.0
REGISTRY_REFRESH_S = 2.0
SLACK_S = 0.5
ADMIN = Actor(name="bench", admin=True)
PROMPT = "---\nname: greet\ndescription: replicas bench\nowner: bench@example.com\nteam: bench\nmodel: bench-model\n" \
         "---\n## system\nYou are assistant {marker}.\n\n## user\nSay hello.\n"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def _commit(repo: Path, marker: str, labels: str | None = None) -> str:
    (repo / "greet.md").write_text(PROMPT.format(marker=marker))
    if labels is not None:
        (repo / "labels.yaml").write_text(labels)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", f"greet {marker}")
    return _git(repo, "rev-parse", "HEAD")


def prompt_repo(repo: Path) -> tuple[str, str]:
    """A prompt repository with two commits of `greet`, production on the first; (first, second)."""
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "bench@example.com")
    _git(repo, "config", "user.name", "bench")
    first = _commit(repo, "ONE")
    return first, _commit(repo, "TWO", labels=f"greet:\n  production: {first}\n")


def config_sections(repo: Path) -> dict[str, object]:
    """The config sections the follow checks need, set on the bench config."""
    return {"prompts": {"path": str(repo), "poll_interval_s": PROMPT_POLL_S},
            "registry": {"refresh_s": REGISTRY_REFRESH_S}}


def deployments(upstream_base: str, api_key: str) -> list[dict[str, object]]:
    """`rollout-model`'s two deployments, linked to versions 1 and 2 of `rollout-llm`."""
    return [{"model_name": "rollout-model", "litellm_params": {"model": "openai/bench-model",
             "api_base": upstream_base, "api_key": api_key},
             "model_info": {"id": f"rollout-v{v}", "registry_model": "rollout-llm", "registry_version": v}}
            for v in ("1", "2")]


def register_rollout(engine: Engine, team: str) -> None:
    """`rollout-llm` with versions 1 and 2 in production and a blue-green plan with 1 live."""
    with session_scope(engine) as session:
        register_model(session, ADMIN, ModelIn(name="rollout-llm", kind="llm", owner="bench", team=team,
                                               use_case="replicas bench"))
        for version in ("1", "2"):
            register_version(session, ADMIN, "rollout-llm", VersionIn(version=version))
    with session_scope(engine) as session:
        model = session.exec(select(GovModel).where(GovModel.name == "rollout-llm")).one()
        for row in session.exec(select(GovModelVersion).where(GovModelVersion.model_id == model.id)):
            row.status = "production"  # the promotion gates are not what this bench measures
            session.add(row)
    with session_scope(engine) as session:
        set_rollout(session, ADMIN, "rollout-llm", RolloutPlan(strategy="blue_green", stable="1", candidate="2"))


def run(ports: list[int], key: str, repo: Path, first: str, second: str, engine: Engine) -> dict[str, object]:
    def ask(model: str, header: str) -> Callable[[int], str]:
        return lambda port: checks.served(port, key, model, header)

    def move_label() -> None:
        _commit(repo, "TWO", labels=f"greet:\n  production: {second}\n")

    def switch() -> None:
        with session_scope(engine) as session:
            switch_blue_green(session, ADMIN, "rollout-llm")

    def alias_back() -> None:
        with Session(engine) as session:
            set_alias(session, ADMIN, "rollout-llm", "champion", "1")
            session.commit()

    rollout = ask("rollout-model", "x-warden-deployment")
    registry_bound = REGISTRY_REFRESH_S + SLACK_S
    return {
        "prompt_label_move": checks.follow(ports, ask("prompt:greet@production", "x-warden-prompt-commit"),
                                           move_label, first, second, PROMPT_POLL_S + SLACK_S),
        "rollout_switch": checks.follow(ports, rollout, switch, "rollout-v1", "rollout-v2", registry_bound),
        "rollout_alias_by_hand": checks.follow(ports, rollout, alias_back, "rollout-v2", "rollout-v1", registry_bound),
    }
