"""Step 3: the policy's input guardrails on every message, by role; block, mask or flag."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.errors import GuardrailViolation
from gateway.pipeline.context import RequestContext
from gateway.pipeline.segments import apply_rewrites, request_documents, request_segments
from gateway.schemas import ChatRequest

if TYPE_CHECKING:
    from gateway.state import Gateway


async def check_input(gw: Gateway, ctx: RequestContext) -> None:
    request = ctx.request
    assert request is not None
    if isinstance(request, ChatRequest):
        ctx.checks.documents = tuple(request_documents(request))
    policy = gw.guardrails.policy(ctx.guardrail_policy)
    if policy is None or not policy.input:
        return
    ctx.checks.stage = "input"
    result = await policy.input.run(request_segments(request, ctx.prompt_variables), ctx.checks)
    ctx.verdicts.extend(result.verdicts)
    blocked = result.blocked
    if blocked is not None:
        ctx.status = "blocked"
        reason = f": {blocked.message}" if blocked.message else ""
        raise GuardrailViolation(f"the request was blocked by the {blocked.guardrail!r} guardrail{reason}",
                                 param=blocked.guardrail)
    if result.masked:
        apply_rewrites(ctx.payload, result.segments, ctx.prompt_variables)
