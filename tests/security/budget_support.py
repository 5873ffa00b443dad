"""A running gateway with a $0.01 key, a stored prompt of dense text, and 200 requests fired at once."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway, running_gateway
from tests.support.services import REDIS_URL, require

PRICE_IN, PRICE_OUT = 0.000001, 0.000002
BUDGET_USD = 0.01
# Spaced digits are the densest ordinary text: every digit and every space is a token for GPT-4-class
# tokenizers, so four characters make four tokens, not one (the fake upstream counts words: two of them).
DENSE = "7 " * 3000

PROMPT = f"""---
name: dense
description: a stored prompt whose template carries most of the tokens
owner: qa@example.com
team: qa
model: chat-a
parameters: {{max_tokens: 20}}
allow_overrides: [max_tokens]
variables:
  question: {{type: string}}
---
## system
{DENSE}

## user
Q: {{{{ question }}}}
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def prompt_repo(root: Path) -> Path:
    (root / "prompts").mkdir(parents=True)
    (root / "prompts" / "dense.md").write_text(PROMPT)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "-c", "user.email=qa@example.com", "-c", "user.name=QA", "add", "-A")
    _git(root, "-c", "user.email=qa@example.com", "-c", "user.name=QA", "commit", "-qm", "dense prompt")
    return root / "prompts"


@contextmanager
def budget_gateway(upstream: FakeUpstream, tmp: Path, backend: str) -> Iterator[RunningGateway]:
    limits: dict[str, Any] = {"backend": backend}
    if backend == "redis":
        require("127.0.0.1", 6379, "Redis")
        # Closed and patient: a timed-out Redis call must not fall back to the in-process limiter unseen.
        limits |= {"redis_url": REDIS_URL, "key_prefix": f"warden-test-{uuid.uuid4().hex}:",
                   "timeout_s": 5.0, "retry_interval_s": 0.1, "on_redis_down": "closed"}
    config = {"model_list": [{"model_name": "chat-a", "litellm_params": {
                  "model": "openai/chat-a-upstream", "api_base": upstream.base_url, "api_key": "sk-upstream-secret",
                  "input_cost_per_token": PRICE_IN, "output_cost_per_token": PRICE_OUT}}],
              "prompts": {"path": str(prompt_repo(tmp / "repo")), "poll_interval_s": 5},
              "limits": limits}
    teams = {"alpha": {"key": {"budget_usd": BUDGET_USD}}}
    with running_gateway(config, f"sqlite:///{tmp / 'gw.db'}", teams, tmp) as gw:
        yield gw


@dataclass(frozen=True)
class RaceResult:
    passed: int
    refused: int
    other: list[str]
    spent_usd: float
    max_request_usd: float

    @property
    def overspend_usd(self) -> float:
        return max(self.spent_usd - BUDGET_USD, 0.0)


async def _fire(gw: RunningGateway, n: int, stored_prompt: bool) -> list[str]:
    client = openai.AsyncOpenAI(base_url=gw.base_url + "/v1", api_key=gw.keys["alpha"], max_retries=0,
                                timeout=60)

    async def one(i: int) -> str:
        try:
            if stored_prompt:
                await client.chat.completions.create(model="prompt:dense@latest", messages=[], max_tokens=20,
                                                     extra_body={"prompt": {"variables": {"question": f"q{i}"}}})
            else:
                await client.chat.completions.create(model="chat-a", max_tokens=20,
                                                     messages=[{"role": "user", "content": DENSE}])
            return "ok"
        except openai.RateLimitError:
            return "refused"
        except openai.APIStatusError as exc:
            return f"{exc.status_code}: {exc.message}"

    try:
        return await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        await client.close()


def race(gw: RunningGateway, n: int = 200, *, stored_prompt: bool) -> RaceResult:
    outcomes = asyncio.run(_fire(gw, n, stored_prompt))
    rows = [r for r in gw.rows(team="alpha") if r.status == "ok"]
    return RaceResult(
        passed=outcomes.count("ok"),
        refused=outcomes.count("refused"),
        other=[o for o in outcomes if o not in ("ok", "refused")],
        spent_usd=sum(r.cost_usd for r in rows),
        max_request_usd=max((r.cost_usd for r in rows), default=0.0),
    )
