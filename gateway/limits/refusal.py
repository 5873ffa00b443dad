"""Turning an exhausted rule into a `LimitExceeded` with an honest Retry-After (shared by both limiters)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from gateway.limits.base import BudgetRule, LimitExceeded, RateLevel, RateRule
from gateway.limits.window import budget_retry_after, from_micro, left, rate_retry_after

RateKind = Literal["rpm", "tpm"]


def rate_refusal(
    rule: RateRule,
    kind: RateKind,
    limit: int,
    prev: float,
    cur: float,
    fraction: float,
    cost: int,
    window_s: float,
) -> LimitExceeded:
    """A refusal for a rate: `prev`/`cur` are the bucket counts that made `cost` not fit."""
    wait = rate_retry_after(prev, cur, fraction, cost, limit, window_s)
    unit = "requests" if kind == "rpm" else "tokens"
    if cost > limit:
        text = f"{kind} limit for {rule.name} is {limit} {unit} per minute; this request needs {cost}"
    else:
        text = f"{kind} limit for {rule.name} exhausted ({limit} {unit} per minute); retry in {wait:.1f} s"
    remaining = left(prev, cur, fraction, limit)
    level = (RateLevel(rule, requests_left=remaining, requests_reset_s=wait) if kind == "rpm"
             else RateLevel(rule, tokens_left=remaining, tokens_reset_s=wait))
    return LimitExceeded(limit=f"{kind} {rule.name}", retry_after=wait, message=text, level=level)


def budget_refusal(
    rule: BudgetRule,
    spent: int,
    reserved: int,
    cost: int,
    limit: int,
    period_end: float | None,
    now: float,
) -> LimitExceeded:
    """A refusal for a budget; amounts in micro-dollars."""
    wait = budget_retry_after(spent, reserved, cost, limit, period_end, now)
    if spent + cost <= limit:
        why = f"${from_micro(reserved):.4f} is reserved by requests in flight"
    else:
        why = f"${from_micro(spent):.4f} spent"
    text = (
        f"{rule.period} budget for {rule.name} (${rule.limit_usd:.2f}) cannot take this request "
        f"(up to ${from_micro(cost):.4f}): {why}"
    )
    return LimitExceeded(limit=f"budget {rule.name}", retry_after=wait, message=text)


def binding(refusals: Sequence[LimitExceeded]) -> LimitExceeded:
    """The refusal that frees last: retrying before it would fail again."""
    worst = refusals[0]
    for refusal in refusals[1:]:
        if refusal.retry_after > worst.retry_after:
            worst = refusal
    return worst
