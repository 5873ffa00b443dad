"""Step 2: rates (RPM/TPM per key, team, model and end user) and budgets, reserved before the call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.errors import RateLimited, ServiceUnavailable
from gateway.limits.base import LimiterUnavailable, LimitExceeded, RateRule
from gateway.pipeline.context import RequestContext
from gateway.schemas import ChatRequest, EmbeddingRequest

if TYPE_CHECKING:
    from gateway.state import Gateway


async def enforce_limits(gw: Gateway, ctx: RequestContext) -> None:
    principal, request = ctx.principal, ctx.request
    assert principal is not None and request is not None and ctx.model is not None
    rates = list(principal.rates) + _request_rates(gw, ctx)
    if not rates and not principal.budgets:
        return
    tokens = estimate_prompt_tokens(request)
    try:
        if principal.budgets:
            await gw.seed_budgets(principal.budgets)
        ctx.reservation = await gw.limiter.acquire(rates, principal.budgets, tokens, worst_case_cost(gw, ctx, tokens))
    except LimitExceeded as exc:
        code = "budget_exceeded" if exc.limit.startswith("budget") else "rate_limit_exceeded"
        raise RateLimited(exc.message, retry_after=exc.retry_after, code=code) from None
    except LimiterUnavailable:
        raise ServiceUnavailable("the rate-limit store is unavailable and limits fail closed") from None


def _request_rates(gw: Gateway, ctx: RequestContext) -> list[RateRule]:
    limits, out = gw.config.limits, []
    model_rate = limits.models.get(ctx.model or "")
    if model_rate and (model_rate.rpm or model_rate.tpm):
        out.append(RateRule("model", ctx.model or "", model_rate.rpm, model_rate.tpm))
    user = ctx.request.user if ctx.request is not None else None
    if user and (limits.user.rpm or limits.user.tpm):
        team = ctx.principal.team if ctx.principal else None
        out.append(RateRule("user", f"{team}/{user}", limits.user.rpm, limits.user.tpm))
    return out


def estimate_prompt_tokens(request: ChatRequest | EmbeddingRequest) -> int:
    """About four characters a token: cheap, and reconciled with the real count after the call."""
    if isinstance(request, EmbeddingRequest):
        return sum(len(t) for t in request.texts()) // 4 + 1
    chars = sum(len(text) for message in request.messages for _, text in message.texts())
    return chars // 4 + 4 * len(request.messages)


def worst_case_cost(gw: Gateway, ctx: RequestContext, prompt_tokens: int) -> float:
    """The most this request can cost on the priciest deployment of its model."""
    request = ctx.request
    group = gw.router.group(ctx.model or "")
    if not group:
        return 0.0
    completions = 0
    if isinstance(request, ChatRequest):
        per_choice = request.output_limit or max(
            (d.prices.max_output_tokens or 0) for d in group
        ) or gw.config.server.default_max_tokens
        completions = per_choice * (request.n or 1)
    return max(d.prices.cost(prompt_tokens, completions) for d in group)
