"""Shadow traffic: a share of requests is mirrored to a candidate version. Its answer is never returned;
its latency, tokens, cost and status are recorded in a usage row of its own (endpoint `shadow`, request id
`<id>:shadow`) for comparison with the version that served."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from gateway.pipeline.context import RequestContext
from gateway.pipeline.record_usage import usage_row
from gateway.providers.base import Deployment, ProviderError
from gateway.providers.cost import token_details
from gateway.providers.tags import request_tags

if TYPE_CHECKING:
    from gateway.state import Gateway

_running: set[asyncio.Task[None]] = set()


def mirror(gw: Gateway, ctx: RequestContext, deployments: tuple[Deployment, ...]) -> None:
    if not deployments:
        return
    # Tags route the request; like the router, the shadow call does not send them upstream.
    payload = {k: v for k, v in request_tags(ctx.payload)[1].items() if k not in ("stream", "stream_options")}
    task = asyncio.get_running_loop().create_task(_shadow_call(gw, ctx, deployments[0], payload))
    _running.add(task)
    task.add_done_callback(_running.discard)


async def _shadow_call(gw: Gateway, ctx: RequestContext, deployment: Deployment, payload: dict[str, Any]) -> None:
    row = usage_row(ctx)
    row.request_id, row.endpoint, row.stream = f"{ctx.request_id}:shadow", "shadow", False
    row.deployment, row.provider, row.served_model = deployment.id, deployment.provider, deployment.model_name
    row.registry_model, row.registry_version = deployment.registry_model, deployment.registry_version
    started = time.perf_counter()
    try:
        transport = gw.router.transports[deployment.transport]
        completion = await transport.chat(deployment, {**payload, "model": deployment.upstream_model})
        row.prompt_tokens, row.completion_tokens = completion.prompt_tokens, completion.completion_tokens
        row.cost_usd = deployment.prices.cost(completion.prompt_tokens, completion.completion_tokens,
                                              token_details(completion.body.get("usage")))
        row.status, row.status_code, row.error_type = "ok", 200, None
    except ProviderError as exc:
        row.status, row.status_code, row.error_type = "error", exc.status or 502, f"shadow_{exc.kind}"
    row.upstream_ms = row.latency_ms = round((time.perf_counter() - started) * 1000, 3)
    row.overhead_ms = 0.0
    gw.usage.submit(row)
