"""Two `warden serve` replicas on one PostgreSQL follow what changes outside them: a prompt label moved in the
shared prompt repository, and a blue-green alias moved by hand in the registry. Each replica reads both by polling
(`prompts.poll_interval_s`, `registry.refresh_s`); once a replica serves the new version it never serves the old one
again, and both get there (the bound itself is measured by bench/replicas_bench.py, not asserted here)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlmodel import Session, select

from gateway.prompts.git import GitRepo, run_git
from registry.db import session_scope
from registry.governance import Actor, ModelIn, RolloutPlan, VersionIn, register_model, register_version, set_rollout
from registry.governance.tables import GovModel, GovModelVersion
from registry.governance.versions import set_alias
from tests.gateway.conftest import deployment
from tests.reliability.serve_process import ServedWarden
from tests.reliability.test_replicas import two_replicas
from tests.support.fake_upstream import FakeUpstream

POLL_S = 0.3
WAIT_S = 30.0
"""How long a replica may take before the test gives up: far past the bound, so a loaded machine cannot fail it."""
ADMIN = Actor(name="risk-office", admin=True)
PROMPT = """---
name: greet
description: replica test prompt
owner: qa@example.com
team: qa
model: chat-a
---
## system
You are assistant {marker}.

## user
Say hello.
"""


def _commit(repo: Path, marker: str, labels: str | None = None) -> str:
    """Commit `greet` with `marker` in its system prompt (and `labels` as labels.yaml); the new HEAD."""
    (repo / "greet.md").write_text(PROMPT.format(marker=marker))
    if labels is not None:
        (repo / "labels.yaml").write_text(labels)
    return GitRepo(repo, "").commit_paths([n for n in ("greet.md", "labels.yaml") if (repo / n).exists()],
                                       f"prompt {marker}")


def _follows(replicas: list[ServedWarden], ask: Callable[[ServedWarden], str], old: str, new: str) -> None:
    """Ask every replica until each answers `new`; no answer after a replica's first `new` may be `old`."""
    answers: list[list[str]] = [[] for _ in replicas]
    end = time.monotonic() + WAIT_S
    while time.monotonic() < end and not all(seen and seen[-1] == new for seen in answers):
        for replica, seen in zip(replicas, answers, strict=True):
            seen.append(ask(replica))
        time.sleep(0.05)
    for replica, seen in zip(replicas, answers, strict=True):
        for _ in range(10):
            seen.append(ask(replica))
        assert set(seen) <= {old, new}, seen
        assert new in seen and old not in seen[seen.index(new):], seen


def test_replicas_follow_a_prompt_label_move(upstream: FakeUpstream, tmp_path: Path) -> None:
    repo = tmp_path / "prompts"
    repo.mkdir()
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "qa@example.com"], ["config", "user.name", "QA"]):
        run_git(args, repo)
    first = _commit(repo, "ONE")
    second = _commit(repo, "TWO", labels=f"greet:\n  production: {first}\n")
    prompts = {"path": str(repo), "poll_interval_s": POLL_S}
    with two_replicas(upstream, tmp_path, prompts=prompts) as (_, replicas):

        def ask(replica: ServedWarden) -> str:
            answer = httpx.post(f"{replica.base_url}/v1/chat/completions", timeout=30,
                                headers={"authorization": f"Bearer {replica.key}"},
                                json={"model": "prompt:greet@production", "messages": []})
            assert answer.status_code == 200, answer.text
            return answer.headers["x-warden-prompt-commit"]

        assert [ask(r) for r in replicas] == [first, first]
        _commit(repo, "TWO", labels=f"greet:\n  production: {second}\n")  # the label move: one commit
        _follows(replicas, ask, first, second)


def _register_blue_green(engine: object) -> None:
    with session_scope(engine) as session:  # type: ignore[arg-type]
        register_model(session, ADMIN, ModelIn(name="support-llm", kind="llm", owner="alice", team="alpha",
                                               use_case="customer support answers"))
        for version in ("1", "2"):
            register_version(session, ADMIN, "support-llm", VersionIn(version=version))
    with session_scope(engine) as session:  # type: ignore[arg-type]
        model = session.exec(select(GovModel).where(GovModel.name == "support-llm")).one()
        for row in session.exec(select(GovModelVersion).where(GovModelVersion.model_id == model.id)):
            row.status = "production"  # the promotion workflow is tested with the registry
            session.add(row)
    with session_scope(engine) as session:  # type: ignore[arg-type]
        set_rollout(session, ADMIN, "support-llm", RolloutPlan(strategy="blue_green", stable="1", candidate="2"))


def test_replicas_follow_a_blue_green_alias_moved_by_hand(upstream: FakeUpstream, tmp_path: Path) -> None:
    linked = [deployment("support", upstream, model_info={"registry_model": "support-llm", "registry_version": v})
              for v in ("1", "2")]
    with two_replicas(upstream, tmp_path, model_list=linked, registry={"refresh_s": POLL_S},
                      prompts=None) as (engine, replicas):
        _register_blue_green(engine)

        def ask(replica: ServedWarden) -> str:
            answer = httpx.post(f"{replica.base_url}/v1/chat/completions", timeout=30,
                                headers={"authorization": f"Bearer {replica.key}"},
                                json={"model": "support", "messages": [{"role": "user", "content": "hi"}]})
            assert answer.status_code == 200, answer.text
            return answer.headers["x-warden-deployment"]

        end = time.monotonic() + WAIT_S  # both replicas read the plan: version 1 live
        while time.monotonic() < end and {ask(r) for r in replicas for _ in range(5)} != {"support#0"}:
            time.sleep(0.1)
        assert {ask(r) for r in replicas for _ in range(5)} == {"support#0"}
        with Session(engine) as session:
            set_alias(session, ADMIN, "support-llm", "champion", "2")
            session.commit()
        _follows(replicas, ask, "support#0", "support#1")
