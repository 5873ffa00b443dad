"""Answers the gateway returned: remembered when they leave (after output checks and notices, as the caller
gets them), recognised when a client sends them back as history (`check_input`), per team."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gateway.pipeline.context import RequestContext
from gateway.pipeline.native_output import text_slots
from gateway.providers.base import Completion, NativeCompletion
from guardrails.base import Segment
from guardrails.pii.vault import VAULT_KEY, PlaceholderVault

if TYPE_CHECKING:
    from gateway.state import Gateway


def _team(gw: Gateway, ctx: RequestContext) -> str | None:
    """Who an answer was returned to, when the request's policy trusts returned answers; else None."""
    policy = gw.guardrails.policy(ctx.guardrail_policy)
    if gw.answers is None or policy is None or not policy.config.trust_returned_answers or ctx.principal is None:
        return None
    return ctx.principal.team or f"key:{ctx.principal.key_id}"


async def mark_returned(gw: Gateway, ctx: RequestContext, segments: Sequence[Segment]) -> list[Segment]:
    team = _team(gw, ctx)
    if team is None or gw.answers is None:
        return list(segments)
    return await gw.answers.mark(team, segments)


def wants_answers(gw: Gateway, ctx: RequestContext) -> bool:
    return _team(gw, ctx) is not None


def remember(gw: Gateway, ctx: RequestContext, texts: Sequence[str]) -> None:
    """Remember answers as returned, with where the request's personal data was put back into them."""
    team = _team(gw, ctx)
    if team is None or gw.answers is None or ctx.status != "ok":
        return
    vault = ctx.checks.state.get(VAULT_KEY)
    spans = vault.restored_spans if isinstance(vault, PlaceholderVault) and vault.restore_output else None
    gw.answers.remember(team, [(text, spans(text) if spans else []) for text in texts])


def remember_answer(gw: Gateway, ctx: RequestContext, answer: object) -> None:
    """A whole answer's texts (a stream's are remembered by the stream as it ends normally)."""
    if not isinstance(answer, Completion) or ctx.endpoint not in ("chat", "responses"):
        return
    if isinstance(answer, NativeCompletion):
        texts = [slot["text"] for slot in text_slots(answer.api, answer.body)]
    else:
        messages = [choice.get("message") for choice in answer.body.get("choices") or () if isinstance(choice, dict)]
        texts = [m["content"] for m in messages if isinstance(m, dict) and isinstance(m.get("content"), str)]
    remember(gw, ctx, texts)
