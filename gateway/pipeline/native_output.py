"""Step 6 for answers in a native API's shape: the policy's output guardrails read the answer's text (Anthropic's
`text` blocks, the Responses API's `output_text` parts) and the arguments of the tools it calls (`tool_use` inputs,
`function_call` arguments; each value a segment of its own, as for chat), mask or block them, and input
placeholders are restored in them. Everything else the upstream said (thinking blocks and their signatures,
reasoning items, built-in tool items, cache counts) goes back untouched: a signature covers the text it signs, so
thinking is relayed, never rewritten."""

from __future__ import annotations

import json
from typing import Any

from gateway.errors import GuardrailViolation
from gateway.pipeline.context import RequestContext
from gateway.pipeline.tool_arguments import ToolArguments, json_escape, split
from gateway.providers.base import NativeApi, NativeCompletion
from guardrails.base import Segment
from guardrails.chain import Chain
from guardrails.pii.vault import VAULT_KEY, PlaceholderVault

Slot = dict[str, Any]
"""A JSON object of the answer whose `text` is answer text."""
Call = tuple[dict[str, Any], ToolArguments]
"""A tool call of the answer (Anthropic's `tool_use` block, a Responses `function_call` item) and its arguments."""


def text_slots(api: NativeApi, body: dict[str, Any]) -> list[Slot]:
    if api == "anthropic_messages":
        return [b for b in _dicts(body.get("content")) if b.get("type") == "text" and isinstance(b.get("text"), str)]
    return [part for item in _dicts(body.get("output")) if item.get("type") == "message"
            for part in _dicts(item.get("content")) if part.get("type") == "output_text"
            and isinstance(part.get("text"), str)]


async def check_native(ctx: RequestContext, chain: Chain | None, result: NativeCompletion) -> NativeCompletion:
    slots, calls = text_slots(result.api, result.body), tool_calls(result.api, result.body)
    segments = [*(Segment(s["text"], "output", n) for n, s in enumerate(slots)),
                *(segment for _, arguments in calls for segment in arguments.segments)]
    if chain is not None and segments:
        outcome = await chain.run(segments, ctx.checks)
        ctx.verdicts.extend(outcome.verdicts)
        if outcome.blocked is not None:
            ctx.status = "blocked"
            raise GuardrailViolation(f"the answer was blocked by the {outcome.blocked.guardrail!r} guardrail",
                                     param=outcome.blocked.guardrail)
        if outcome.masked:
            checked = iter(outcome.segments)
            for slot in slots:
                slot["text"] = next(checked).text
            for holder, arguments in calls:
                _put_arguments(holder, arguments.rebuild([next(checked).text for _ in arguments.segments]))
    vault = restoring_vault(ctx)
    if vault is not None:
        for slot in slots:
            slot["text"] = vault.restore(slot["text"])
        for holder, arguments in tool_calls(result.api, result.body):
            _put_arguments(holder, vault.restore(arguments.raw, json_escape))
    return result


def tool_calls(api: NativeApi, body: dict[str, Any]) -> list[Call]:
    if api == "anthropic_messages":
        blocks = [b for b in _dicts(body.get("content"))
                  if b.get("type") == "tool_use" and isinstance(b.get("input"), dict)]
        return [(b, split(json.dumps(b["input"], ensure_ascii=False), 0, n, b.get("name")))
                for n, b in enumerate(blocks)]
    items = [i for i in _dicts(body.get("output"))
             if i.get("type") == "function_call" and isinstance(i.get("arguments"), str)]
    return [(i, split(i["arguments"], 0, n, i.get("name"))) for n, i in enumerate(items)]


def _put_arguments(holder: dict[str, Any], arguments: str) -> None:
    """Arguments back where they came from: an Anthropic input as the JSON object, Responses arguments as text."""
    if "input" in holder and holder.get("type") == "tool_use":
        holder["input"] = json.loads(arguments)
    else:
        holder["arguments"] = arguments


def restoring_vault(ctx: RequestContext) -> PlaceholderVault | None:
    vault = ctx.checks.state.get(VAULT_KEY)
    return vault if isinstance(vault, PlaceholderVault) and vault.restore_output and len(vault) else None


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
