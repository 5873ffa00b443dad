"""Step 6 for answers in a native API's shape: the policy's output guardrails read the answer's text (Anthropic's
`text` blocks, the Responses API's `output_text` parts), mask or block it, and input placeholders are restored in
it. Everything else the upstream said (thinking blocks and their signatures, reasoning items, built-in tool items,
cache counts) goes back untouched: a signature covers the text it signs, so thinking is relayed, never rewritten."""

from __future__ import annotations

from typing import Any

from gateway.errors import GuardrailViolation
from gateway.pipeline.context import RequestContext
from gateway.providers.base import NativeApi, NativeCompletion
from guardrails.base import Segment
from guardrails.chain import Chain
from guardrails.pii.vault import VAULT_KEY, PlaceholderVault

Slot = dict[str, Any]
"""A JSON object of the answer whose `text` is answer text."""


def text_slots(api: NativeApi, body: dict[str, Any]) -> list[Slot]:
    if api == "anthropic_messages":
        return [b for b in _dicts(body.get("content")) if b.get("type") == "text" and isinstance(b.get("text"), str)]
    return [part for item in _dicts(body.get("output")) if item.get("type") == "message"
            for part in _dicts(item.get("content")) if part.get("type") == "output_text"
            and isinstance(part.get("text"), str)]


async def check_native(ctx: RequestContext, chain: Chain | None, result: NativeCompletion) -> NativeCompletion:
    slots = text_slots(result.api, result.body)
    if chain is not None and slots:
        outcome = await chain.run([Segment(s["text"], "output", n) for n, s in enumerate(slots)], ctx.checks)
        ctx.verdicts.extend(outcome.verdicts)
        if outcome.blocked is not None:
            ctx.status = "blocked"
            raise GuardrailViolation(f"the answer was blocked by the {outcome.blocked.guardrail!r} guardrail",
                                     param=outcome.blocked.guardrail)
        if outcome.masked:
            for slot, segment in zip(slots, outcome.segments, strict=True):
                slot["text"] = segment.text
    vault = restoring_vault(ctx)
    if vault is not None:
        for slot in slots:
            slot["text"] = vault.restore(slot["text"])
    return result


def restoring_vault(ctx: RequestContext) -> PlaceholderVault | None:
    vault = ctx.checks.state.get(VAULT_KEY)
    return vault if isinstance(vault, PlaceholderVault) and vault.restore_output and len(vault) else None


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
