"""Time spent in the usage policy step per request, in process (no server, no network, no database).

    .venv/bin/python bench/policy_bench.py [--requests 20000]

Times `apply_policy` (data class from declared/team/guardrail/marker sources, deployment filter, use case) plus the
answer's marking (`mark_answer`: header, metadata, notice in the answer's language) on a gateway built from a config
with a public and a private deployment of one model, four scenarios. Audit-trail and review-queue writes run on
worker threads off the request path and are not part of this figure (they are stubbed out here).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.config import parse_config  # noqa: E402
from gateway.pipeline.apply_policy import apply_policy, mark_answer  # noqa: E402
from gateway.pipeline.context import Principal, RequestContext  # noqa: E402
from gateway.providers.base import Completion  # noqa: E402
from gateway.providers.deployments import build_deployments  # noqa: E402
from gateway.providers.pricing import PriceMap  # noqa: E402
from gateway.providers.router import Router  # noqa: E402
from gateway.schemas import ChatRequest, parse_request  # noqa: E402
from gateway.tracing import NoTracing  # noqa: E402
from gateway.usage_policy.engine import PolicyEngine, UseCaseIndex, UseCaseView  # noqa: E402
from guardrails.base import Finding, Verdict  # noqa: E402
from registry.use_cases import Conditions  # noqa: E402

CONFIG = {
    "model_list": [
        {"model_name": "chat", "litellm_params": {"model": "openai/a", "api_base": "http://127.0.0.1:9"},
         "model_info": {"id": "chat-public"}},
        {"model_name": "chat", "litellm_params": {"model": "openai/b", "api_base": "http://127.0.0.1:9"},
         "model_info": {"id": "chat-private"}},
    ],
    "usage_policy": {
        "deployments": {"chat-public": "public", "chat-private": "personal"},
        "markers": [{"name": "internal-label", "pattern": "(?i)\\b(internal only|do not share)\\b",
                     "data_class": "internal"}],
        "attribution": {"notice": True},
    },
}
TURN = [{"role": "system", "content": "You are a helpful assistant for the support team."},
        {"role": "user", "content": "My order 1234 has not arrived, can you check where it is?"},
        {"role": "assistant", "content": "Of course. It left the warehouse yesterday and should arrive tomorrow."},
        {"role": "user", "content": "Thanks. Can you also summarise our return policy in two sentences?"}]
PII = Verdict(guardrail="pii", action="flag", score=0.9, findings=(Finding("EMAIL_ADDRESS", 0.9, 1),))
ANSWER = {"id": "x", "object": "chat.completion", "choices": [
    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Returns are free within "
                                                      "30 days. Refunds reach your card within five working days."}}]}
SCENARIOS: dict[str, dict[str, Any]] = {
    "one message": {"messages": [{"role": "user", "content": "hello there"}]},
    "four-message turn": {"messages": TURN},
    "personal (re-routed)": {"messages": TURN, "verdicts": [PII]},
    "conditional use case": {"messages": TURN, "metadata": {"use_case": "support-drafts"}},
}


def gateway() -> SimpleNamespace:
    config = parse_config(CONFIG, "bench")
    assert config.usage_policy is not None
    prices = PriceMap({})
    router = Router(build_deployments(config, prices), config.effective_router(), {}, prices=prices)
    policy = PolicyEngine(config.usage_policy, engine=None)  # type: ignore[arg-type]
    view = UseCaseView("support-drafts", "conditional", Conditions(allowed_models=["chat"]))
    policy.index = UseCaseIndex({"support-drafts": view}, {}, {})
    policy.audit = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return SimpleNamespace(policy=policy, router=router, guardrails=SimpleNamespace(policy=lambda name: None),
                           tracing=NoTracing())


def context(scenario: dict[str, Any]) -> RequestContext:
    body = {"model": "chat", "messages": scenario["messages"], **({"metadata": scenario["metadata"]}
                                                                  if "metadata" in scenario else {})}
    ctx = RequestContext(request_id="r", endpoint="chat")
    ctx.principal = Principal(key_id="k1", role="team", team="support", models=None)
    ctx.request = parse_request(ChatRequest, body)
    ctx.payload = {k: v for k, v in body.items() if k != "model"}
    ctx.model = "chat"
    ctx.verdicts = list(scenario.get("verdicts", []))
    return ctx


async def measure(gw: SimpleNamespace, scenario: dict[str, Any], requests: int) -> tuple[list[float], float]:
    """Wall-clock microseconds of each request, and the CPU microseconds per request (what contention on a shared
    machine does not inflate)."""
    samples, cpu = [], 0.0
    for _ in range(requests):
        ctx = context(scenario)
        answer = Completion(copy.deepcopy(ANSWER))
        started, cpu_started = time.perf_counter(), time.thread_time()
        await apply_policy(gw, ctx)  # type: ignore[arg-type]
        mark_answer(gw, ctx, answer)  # type: ignore[arg-type]
        cpu += time.thread_time() - cpu_started
        samples.append((time.perf_counter() - started) * 1e6)
    return samples, cpu * 1e6 / requests


async def main(requests: int) -> None:
    gw = gateway()
    print(f"{'scenario':<24} {'p50 us':>8} {'p90 us':>8} {'CPU us/req':>11}")
    for name, scenario in SCENARIOS.items():
        await measure(gw, scenario, 200)  # warm-up
        samples, cpu = await measure(gw, scenario, requests)
        samples.sort()
        p90 = samples[int(len(samples) * 0.9) - 1]
        print(f"{name:<24} {statistics.median(samples):>8.1f} {p90:>8.1f} {cpu:>11.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000)
    asyncio.run(main(parser.parse_args().requests))
