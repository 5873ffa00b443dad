"""Step 7: one usage row per request (queued, written in batches), metrics, and the limits reconciled."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from gateway.pipeline.context import RequestContext
from gateway.rag.attribution import chunks_cited, chunks_removed
from guardrails.judge import usage_of
from gateway.providers.cost import DETAIL_NAMES, NO_DETAILS, TokenDetails
from registry.usage_rows import UsageRow

if TYPE_CHECKING:
    from gateway.state import Gateway

log = logging.getLogger("warden.usage")
_settling: set[asyncio.Task[None]] = set()


def record_usage(gw: Gateway, ctx: RequestContext, after_response: bool = False) -> None:
    """Never raises and never waits: the row is queued and the limiter settled in the background.

    `after_response` (a whole answer about to be returned): the row, metrics, trace and settlement are done by the
    event loop right after the step of the request's task that sends the answer, so the client does not wait
    for them. The loop runs that callback before it reads any later request, so the same client's next request
    sees the limits settled; the row is timed up to now, as it would have been."""
    if ctx.recorded:
        return
    ctx.recorded = True
    if after_response:
        ctx.ended = time.perf_counter()
        asyncio.get_running_loop().call_soon(_record_after, gw, ctx)
        return
    _record(gw, ctx)


def _record_after(gw: Gateway, ctx: RequestContext) -> None:
    # Not the loop's own handler: it would log the callback's arguments, the request's messages among them.
    try:
        _record(gw, ctx)
    except Exception:
        log.exception("usage of request %s not recorded", ctx.request_id)


def _record(gw: Gateway, ctx: RequestContext) -> None:
    row = usage_row(ctx)
    gw.usage.submit(row)
    model = metric_model(gw, ctx.model)  # the row's requested model: one bounded label for every metric below
    _observe(gw, row, model)
    gw.metrics.genai.observe(ctx, model)
    if ctx.principal is not None:
        gw.metrics.budgets.note(ctx.principal.budgets)
    _log_exchange(gw, ctx, row)
    gw.tracing.finish(ctx, model, content=gw.tracing.enabled and _content_allowed(gw, ctx))
    if ctx.reservation is not None:
        tokens = row.prompt_tokens + row.completion_tokens
        if not gw.limiter.settle_now(ctx.reservation, tokens, row.cost_usd):  # in memory: no task to schedule
            _background(gw.limiter.settle(ctx.reservation, tokens, row.cost_usd))
    if ctx.stream and ctx.served is not None:
        # The router counted a plain answer's tokens as it came back; a stream's are known only now.
        _background(gw.router.count_tokens(ctx.served.deployment.id, ctx.prompt_tokens + ctx.completion_tokens))


def _background(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    _settling.add(task)
    task.add_done_callback(_settling.discard)


def _content_allowed(gw: Gateway, ctx: RequestContext) -> bool:
    policy = gw.guardrails.policy(ctx.guardrail_policy)
    return policy is not None and policy.config.trace_content


def _log_exchange(gw: Gateway, ctx: RequestContext, row: UsageRow) -> None:
    """Per policy: keep the request and the answer, PII-masked, for audit (`logging: full`)."""
    policy = gw.guardrails.policy(ctx.guardrail_policy) if gw.exchanges is not None else None
    if policy is None or policy.config.logging != "full":
        return
    gw.exchanges.submit(ctx.request_id, row.team, policy.name, policy.config.retention_days,  # type: ignore[union-attr]
                        {**ctx.payload, "model": ctx.model}, ctx.answer_texts, mode="full",
                        created_at=row.created_at)


def usage_row(ctx: RequestContext) -> UsageRow:
    principal, served = ctx.principal, ctx.served
    deployment = served.deployment if served else None
    prompt = ctx.prompt
    judge = usage_of(ctx.checks)  # the judge tier's calls are part of what this request cost
    return UsageRow(
        request_id=ctx.request_id,
        created_at=ctx.created_at,
        endpoint=ctx.endpoint,
        team=principal.team if principal else None,
        key_id=principal.key_id if principal else None,
        end_user=getattr(ctx.request, "user", None),
        requested_model=ctx.model,
        served_model=deployment.model_name if deployment else None,
        deployment=deployment.id if deployment else None,
        provider=deployment.provider if deployment else None,
        stream=ctx.stream,
        cache_hit=ctx.cache_hit,
        status_code=ctx.status_code,
        status=ctx.status,
        error_type=ctx.error_type,
        prompt_tokens=ctx.prompt_tokens + judge.prompt_tokens,
        completion_tokens=ctx.completion_tokens + judge.completion_tokens,
        **token_columns(ctx.token_details),
        cost_usd=ctx.cost_usd + judge.cost_usd,
        cost_known=ctx.cost_known,
        latency_ms=round(ctx.elapsed_ms(), 3),
        upstream_ms=round(ctx.upstream_ms, 3),
        overhead_ms=round(ctx.overhead_ms(), 3),
        attempts=served.attempts if served else 0,
        fallback_from=served.fallback_from if served else None,
        prompt_name=prompt.name if prompt else None,
        prompt_label=prompt.label if prompt else None,
        prompt_commit=prompt.commit if prompt else None,
        prompt_template_hash=prompt.template_hash if prompt else None,
        guardrails=[v.summary() for v in ctx.verdicts] or None,
        registry_model=deployment.registry_model if deployment else None,
        registry_version=deployment.registry_version if deployment else None,
        policy=ctx.policy.summary() if ctx.policy else None,
        chunks_removed=chunks_removed(ctx.checks),
        chunks_cited=chunks_cited(ctx.checks),
    )


def token_columns(details: TokenDetails) -> Mapping[str, int]:
    """The usage row's columns of each priced-apart part (`cached_tokens`, `cache_write_tokens`...)."""
    if details is NO_DETAILS:
        return _NO_TOKEN_COLUMNS
    return {column: getattr(details, name) for name, column in _TOKEN_COLUMNS}


_TOKEN_COLUMNS = tuple((name, f"{name}_tokens") for name in DETAIL_NAMES)
_NO_TOKEN_COLUMNS = {column: 0 for _, column in _TOKEN_COLUMNS}


def metric_model(gw: Gateway, name: str | None) -> str:
    """The `model` label: a model the config serves, else one `other` series, so clients cannot add series."""
    if name is None:
        return "-"
    return gw.router.served_name(name) or "other"


def _observe(gw: Gateway, row: UsageRow, model: str) -> None:
    m, child = gw.metrics, gw.metrics.child
    # The team comes from the key's registry row, never from the request.
    team = row.team or "-"
    child(m.requests, team, model, row.status).inc()
    if row.error_type:
        child(m.errors, team, model, row.error_type).inc()
    if row.prompt_tokens:
        child(m.tokens, team, model, "prompt").inc(row.prompt_tokens)
    if row.completion_tokens:
        child(m.tokens, team, model, "completion").inc(row.completion_tokens)
    if row.cost_usd:
        child(m.cost, team, model).inc(row.cost_usd)
    child(m.overhead, row.endpoint).observe(row.overhead_ms / 1000)
    if row.upstream_ms:
        child(m.upstream, model).observe(row.upstream_ms / 1000)
    for verdict in row.guardrails or ():
        child(m.guardrail, str(verdict["guardrail"]), str(verdict["action"])).inc()
