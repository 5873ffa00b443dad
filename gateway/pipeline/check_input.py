"""Step 3: the policy's input guardrails on every message, by role; block, mask or flag."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.errors import GuardrailViolation
from gateway.pipeline.context import RequestContext
from gateway.pipeline.returned import mark_returned
from gateway.pipeline.segments import apply_rewrites, request_documents, request_segments
from gateway.schemas import ChatRequest
from gateway.tracing import traced

if TYPE_CHECKING:
    from gateway.state import Gateway


def response_schema(request: ChatRequest) -> dict[str, Any] | None:
    """What the answer must match: the `json_schema` of response_format, `{}` (any JSON) for json_object."""
    fmt = request.response_format
    if fmt is None or fmt.type == "text":
        return None
    return dict(fmt.json_schema or {}) if fmt.type == "json_schema" else {}


@traced("check_input")
async def check_input(gw: Gateway, ctx: RequestContext) -> None:
    request = ctx.request
    assert request is not None
    if isinstance(request, ChatRequest):
        ctx.checks.documents = tuple(request_documents(request))
        ctx.checks.json_schema = response_schema(request)
        system = [text for m in request.messages if m.role in ("system", "developer") for _, text in m.texts()]
        ctx.checks.system_prompt = "\n".join(system) or None
    policy = gw.guardrails.policy(ctx.guardrail_policy)
    if policy is None or not policy.input:
        return
    ctx.checks.stage = "input"
    segments = await mark_returned(gw, ctx, request_segments(request, ctx.prompt_variables))
    result = await policy.input.run(segments, ctx.checks)
    ctx.verdicts.extend(result.verdicts)
    blocked = result.blocked
    if blocked is not None:
        ctx.status = "blocked"
        reason = f": {blocked.message}" if blocked.message else ""
        raise GuardrailViolation(f"the request was blocked by the {blocked.guardrail!r} guardrail{reason}",
                                 param=blocked.guardrail)
    if result.masked:
        apply_rewrites(ctx.payload, result.segments, ctx.prompt_variables)
        ctx.checks.documents = tuple(s.text for s in result.segments if s.role == "document")
