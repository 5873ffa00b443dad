"""Step 6: the policy's output guardrails on the answer; for streams, as the text flows (stream_guard).
Placeholders left by input masking are restored in the answer when the policy says so."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gateway.errors import GuardrailViolation
from gateway.pipeline.context import RequestContext
from gateway.pipeline.stream_guard import StreamGuard
from gateway.pipeline.streaming import SseStream, sse_stream
from gateway.pipeline.tool_arguments import ToolArguments, json_escape, split, text_calls
from gateway.pipeline.call_provider import account
from gateway.pipeline.native_output import check_native, text_slots
from gateway.pipeline.native_stream import native_sse
from gateway.providers.base import ChunkStream, Completion, Deployment, NativeCompletion, NativeStream, Provider
from gateway.tracing import traced
from guardrails.base import Segment
from guardrails.chain import Chain
from guardrails.pii.vault import VAULT_KEY, PlaceholderVault

if TYPE_CHECKING:
    from gateway.guardrail_engine import Policy
    from gateway.state import Gateway


@traced("check_output")
async def check_output(gw: Gateway, ctx: RequestContext, result: Completion | ChunkStream) -> Completion | SseStream:
    policy = gw.guardrails.policy(ctx.guardrail_policy)
    chain = policy.output if policy is not None and policy.output else None
    ctx.checks.stage = "output"
    if isinstance(result, NativeStream):
        return native_sse(gw, ctx, result, StreamGuard(chain, ctx.checks), _keeps_answer(policy))
    if isinstance(result, NativeCompletion):
        result = await check_native(ctx, chain, result)
        if _keeps_answer(policy):
            ctx.answer_texts = [slot["text"] for slot in text_slots(result.api, result.body)]
        return result
    if isinstance(result, ChunkStream):
        guard = StreamGuard(chain, ctx.checks)
        keep = _keeps_answer(policy)
        chunks = guard.run(aiter(result)) if guard.active else aiter(result)
        body = sse_stream(gw, ctx, result, chunks, guard, keep_answer=keep)
        return SseStream(gw, ctx, result, body, relays=not guard.active)
    if ctx.endpoint == "embeddings":
        return result
    choices = result.body.get("choices") or []
    if chain is not None:
        retry = await _check_choices(ctx, chain, choices, may_retry=True)
        if retry is not None:
            result = await _ask_again(gw, ctx, result, retry)
            choices = result.body.get("choices") or []
            await _check_choices(ctx, chain, choices, may_retry=False)
    _restore(ctx, choices)
    if _keeps_answer(policy):
        ctx.answer_texts = [str((c.get("message") or {}).get("content") or "") for c in choices]
    return result


def _keeps_answer(policy: Policy | None) -> bool:
    """The answer's text is kept for the exchange log (`logging: full`) or the span (`trace_content`), masked there."""
    return policy is not None and (policy.config.logging == "full" or policy.config.trace_content)


async def _check_choices(ctx: RequestContext, chain: Chain, choices: list[dict[str, Any]], *,
                         may_retry: bool) -> str | None:
    """Run the chain on every choice; returns the reason to ask again when a retry is allowed and wanted."""
    texts, calls = _segments(choices)
    segments = [*texts, *(segment for call in calls for segment in call.segments)]
    if not segments:
        return None
    outcome = await chain.run(segments, ctx.checks)
    ctx.verdicts.extend(outcome.verdicts)
    blocked = outcome.blocked
    if blocked is not None:
        if may_retry and _wants_retry(chain, blocked.guardrail):
            return blocked.message or "the answer does not match the required format"
        ctx.status = "blocked"
        raise GuardrailViolation(f"the answer was blocked by the {blocked.guardrail!r} guardrail", param=blocked.guardrail)
    if outcome.masked:
        checked = iter(outcome.segments)
        for segment in texts:
            choices[segment.message_index]["message"]["content"] = next(checked).text
        for call in calls:
            masked = [next(checked).text for _ in call.segments]
            if call.segments:
                first = call.segments[0]
                function = choices[first.message_index]["message"]["tool_calls"][first.part_index]["function"]
                function["arguments"] = call.rebuild(masked)


def _segments(choices: list[dict[str, Any]]) -> tuple[list[Segment], list[ToolArguments]]:
    """Each choice's text, and the values in the arguments of each of its tool calls (role `tool_call`)."""
    texts: list[Segment] = []
    calls: list[ToolArguments] = []
    for i, choice in enumerate(choices):
        message = choice.get("message")
        if not isinstance(message, dict):
            continue
        if isinstance(message.get("content"), str):
            texts.append(Segment(message["content"], "output", i))
        for j, function in text_calls(message.get("tool_calls")):
            calls.append(split(function["arguments"], i, j, function.get("name")))
    return texts, calls


def _wants_retry(chain: Chain, name: str) -> bool:
    return any(g.name == name and getattr(g.options, "on_failure", None) == "retry" for g in chain.guardrails)


async def _ask_again(gw: Gateway, ctx: RequestContext, first: Completion, reason: str) -> Completion:
    """One more call with the validation error, as the policy allows (`on_failure: retry`)."""
    answer = ((first.body.get("choices") or [{}])[0].get("message") or {}).get("content") or ""
    payload = {**ctx.payload, "messages": [
        *ctx.payload.get("messages", []),
        {"role": "assistant", "content": answer},
        {"role": "user", "content": f"Your answer was rejected: {reason}. Reply again with only the JSON, "
                                    "matching the required schema."},
    ]}
    started = time.perf_counter()
    second, served = await gw.router.run(ctx.model or "", payload, _chat,
                                         only=ctx.policy.deployments if ctx.policy else None)
    ctx.upstream_ms += (time.perf_counter() - started) * 1000
    ctx.served = replace(served, attempts=served.attempts + (ctx.served.attempts if ctx.served else 0))
    account(ctx, first.prompt_tokens + second.prompt_tokens, first.completion_tokens + second.completion_tokens)
    ctx.headers["x-warden-retried"] = "output-format"
    return second


async def _chat(provider: Provider, deployment: Deployment, payload: dict[str, Any]) -> Completion:
    return await provider.chat(deployment, payload)


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
        for _, function in text_calls(message.get("tool_calls")):
            function["arguments"] = vault.restore(function["arguments"], json_escape)
