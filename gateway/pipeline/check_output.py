"""Step 6: the policy's output guardrails on the answer; for streams, as the text flows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from gateway.errors import GuardrailViolation
from gateway.pipeline.context import RequestContext
from gateway.pipeline.streaming import chunks_of, sse_stream
from gateway.providers.base import ChunkStream, Completion
from guardrails.base import Segment

if TYPE_CHECKING:
    from gateway.state import Gateway


async def check_output(gw: Gateway, ctx: RequestContext, result: Completion | ChunkStream) -> Completion | AsyncIterator[bytes]:
    if isinstance(result, ChunkStream):
        return sse_stream(gw, ctx, result, chunks_of(result))
    policy = gw.guardrails.policy(ctx.guardrail_policy)
    if ctx.endpoint != "chat" or policy is None or not policy.output:
        return result
    ctx.checks.stage = "output"
    choices = result.body.get("choices") or []
    segments = [Segment(str(c["message"]["content"]), "output", i) for i, c in enumerate(choices)
                if isinstance(c.get("message"), dict) and isinstance(c["message"].get("content"), str)]
    if not segments:
        return result
    outcome = await policy.output.run(segments, ctx.checks)
    ctx.verdicts.extend(outcome.verdicts)
    blocked = outcome.blocked
    if blocked is not None:
        ctx.status = "blocked"
        raise GuardrailViolation(f"the answer was blocked by the {blocked.guardrail!r} guardrail", param=blocked.guardrail)
    if outcome.masked:
        for segment in outcome.segments:
            choices[segment.message_index]["message"]["content"] = segment.text
    return result
