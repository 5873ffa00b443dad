"""Step 6: the policy's output guardrails on the answer; for streams, as the text flows (stream_guard).
Placeholders left by input masking are restored in the answer when the policy says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from gateway.errors import GuardrailViolation
from gateway.pipeline.context import RequestContext
from gateway.pipeline.stream_guard import StreamGuard
from gateway.pipeline.streaming import chunks_of, sse_stream
from gateway.providers.base import ChunkStream, Completion
from guardrails.base import Segment
from guardrails.pii.vault import VAULT_KEY, PlaceholderVault

if TYPE_CHECKING:
    from gateway.state import Gateway


async def check_output(gw: Gateway, ctx: RequestContext, result: Completion | ChunkStream) -> Completion | AsyncIterator[bytes]:
    policy = gw.guardrails.policy(ctx.guardrail_policy)
    chain = policy.output if policy is not None and policy.output else None
    ctx.checks.stage = "output"
    if isinstance(result, ChunkStream):
        guard = StreamGuard(chain, ctx.checks)
        return sse_stream(gw, ctx, result, guard.run(chunks_of(result)), guard)
    if ctx.endpoint != "chat":
        return result
    choices = result.body.get("choices") or []
    if chain is not None:
        await _check_choices(ctx, chain, choices)
    _restore(ctx, choices)
    return result


async def _check_choices(ctx: RequestContext, chain: Any, choices: list[dict[str, Any]]) -> None:
    segments = [Segment(c["message"]["content"], "output", i) for i, c in enumerate(choices)
                if isinstance(c.get("message"), dict) and isinstance(c["message"].get("content"), str)]
    if not segments:
        return
    outcome = await chain.run(segments, ctx.checks)
    ctx.verdicts.extend(outcome.verdicts)
    blocked = outcome.blocked
    if blocked is not None:
        ctx.status = "blocked"
        raise GuardrailViolation(f"the answer was blocked by the {blocked.guardrail!r} guardrail", param=blocked.guardrail)
    if outcome.masked:
        for segment in outcome.segments:
            choices[segment.message_index]["message"]["content"] = segment.text


def _restore(ctx: RequestContext, choices: list[dict[str, Any]]) -> None:
    vault = ctx.checks.state.get(VAULT_KEY)
    if not isinstance(vault, PlaceholderVault) or not vault.restore_output or not len(vault):
        return
    for choice in choices:
        message = choice.get("message")
        if not isinstance(message, dict):
            continue
        if isinstance(message.get("content"), str):
            message["content"] = vault.restore(message["content"])
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            if isinstance(function.get("arguments"), str):
                function["arguments"] = vault.restore(function["arguments"])
