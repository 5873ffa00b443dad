"""Step 2: rates (RPM/TPM per key, team, model and end user) and budgets, reserved before the call.

A budget holds the request's worst case: an upper bound on its prompt tokens (`gateway.limits.estimate`) and
its longest answer, at the priciest deployment of its model. A stored prompt's messages exist only once
`resolve_prompt` has rendered them (after the input checks, which may mask the variables), so
`enforce_prompt_budget` then raises the hold to the rendered body's bound.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from gateway.errors import RateLimited, ServiceUnavailable
from gateway.limits.base import LimiterUnavailable, LimitExceeded, RateRule
from gateway.limits.estimate import prompt_token_bound, typical_prompt_tokens
from gateway.limits.levels import rate_headers
from gateway.pipeline.context import RequestContext
from gateway.pipeline.filter_chunks import chunks_attached
from gateway.media_schemas import MediaRequest
from gateway.schemas import ChatRequest, EmbeddingRequest
from gateway.tracing import traced

if TYPE_CHECKING:
    from gateway.state import Gateway


@traced("enforce_limits")
async def enforce_limits(gw: Gateway, ctx: RequestContext) -> None:
    principal, request = ctx.principal, ctx.request
    assert principal is not None and request is not None and ctx.model is not None
    rates = list(principal.rates) + _request_rates(gw, ctx)
    if not rates and not principal.budgets:
        return
    with _refusals():
        if principal.budgets:
            await gw.seed_budgets(principal.budgets)
        # Only a budget holds the worst case; rates alone need not bound the prompt.
        hold = worst_case_cost(gw, ctx, prompt_token_bound(ctx.payload) + prompt_token_bound(ctx.prompt_variables)) \
            if principal.budgets else 0.0
        ctx.reservation = await gw.limiter.acquire(rates, principal.budgets, estimate_prompt_tokens(request), hold)


async def enforce_prompt_budget(gw: Gateway, ctx: RequestContext) -> None:
    """Raise the budget hold to the rendered stored prompt (its template may be most of the tokens), or to the
    retrieved chunks sent upstream."""
    grew = ctx.resolved_prompt is not None or chunks_attached(ctx)
    if not grew or ctx.reservation is None or not ctx.reservation.budgets:
        return
    with _refusals():
        await gw.limiter.extend(ctx.reservation, worst_case_cost(gw, ctx, prompt_token_bound(ctx.payload)))


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except LimitExceeded as exc:
        code = "budget_exceeded" if exc.limit.startswith("budget") else "rate_limit_exceeded"
        refusal = RateLimited(exc.message, retry_after=exc.retry_after, code=code)
        refusal.headers.update(rate_headers([exc.level] if exc.level is not None else []))
        raise refusal from None
    except LimiterUnavailable:
        raise ServiceUnavailable("the rate-limit store is unavailable and limits fail closed") from None


def _request_rates(gw: Gateway, ctx: RequestContext) -> list[RateRule]:
    limits, out = gw.config.limits, []
    model_rate = limits.models.get(ctx.model or "")
    if model_rate and (model_rate.rpm or model_rate.tpm):
        out.append(RateRule("model", ctx.model or "", model_rate.rpm, model_rate.tpm))
    out += _deployment_rates(gw, ctx.model or "")
    user = ctx.request.user if ctx.request is not None else None
    if user and (limits.user.rpm or limits.user.tpm):
        team = ctx.principal.team if ctx.principal else None
        out.append(RateRule("user", f"{team}/{user}", limits.user.rpm, limits.user.tpm))
    return out


def _deployment_rates(gw: Gateway, model: str) -> list[RateRule]:
    """The deployments' own rpm/tpm (LiteLLM's `litellm_params.rpm/tpm`), summed over the model's group when every
    deployment sets one: the model cannot take more than its deployments together (exact for one deployment)."""
    group = gw.router.group(model)
    rpms, tpms = [d.rpm for d in group], [d.tpm for d in group]
    rpm = sum(r for r in rpms if r) if group and all(rpms) else None
    tpm = sum(t for t in tpms if t) if group and all(tpms) else None
    # Named after the deployments, not the name asked for: aliases, and every model under a wildcard, share the count.
    subject = "deployments:" + ",".join(sorted(d.id for d in group))
    return [RateRule("model", subject, rpm, tpm)] if rpm or tpm else []


def estimate_prompt_tokens(request: ChatRequest | EmbeddingRequest | MediaRequest) -> int:
    """What TPM limits charge before the call (a typical count, not a bound: reconciled after the call)."""
    if isinstance(request, (EmbeddingRequest, MediaRequest)):
        return typical_prompt_tokens(list(request.texts()), 0)
    texts = [text for message in request.messages for _, text in message.texts()]
    return typical_prompt_tokens(texts, len(request.messages))


def worst_case_cost(gw: Gateway, ctx: RequestContext, prompt_tokens: int) -> float:
    """The most this request can cost on the priciest deployment of its model."""
    group = gw.router.group(ctx.model or "")
    if not group:
        return 0.0
    completions = 0
    if isinstance(ctx.request, ChatRequest):
        per_choice = _int(ctx.payload, "max_completion_tokens") or _int(ctx.payload, "max_tokens") or max(
            (d.prices.max_output_tokens or 0) for d in group
        ) or gw.config.server.default_max_tokens
        completions = per_choice * (_int(ctx.payload, "n") or 1)
    return max(d.prices.cost(prompt_tokens, completions) for d in group)


def _int(payload: dict[str, Any], name: str) -> int | None:
    value = payload.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
