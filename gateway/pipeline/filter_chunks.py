"""Step 2b (RAG governance): the request's chunks the caller may not read, or whose source the policy drops, are
removed before the guardrails and the provider see them; a refused source is a 403. `attach_chunks` sends the
remaining chunks upstream, numbered, when `rag.send_documents` is on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.errors import PermissionDenied
from gateway.pipeline.context import RequestContext
from gateway.rag.attribution import STATE_KEY, ChunkState
from gateway.rag.chunks import Chunk, parse_chunks
from gateway.rag.decide import Decision, caller_groups, decide
from gateway.schemas import ChatRequest
from gateway.tracing import traced
from guardrails.base import Action, Finding, Verdict
from registry.tables import utcnow

if TYPE_CHECKING:
    from gateway.state import Gateway

FIELDS = ("documents", "context")
ATTACHED_KEY = "rag.attached"
HEADING = "Retrieved sources (cite them by their number, e.g. [1]):"


@traced("filter_chunks")
async def filter_chunks(gw: Gateway, ctx: RequestContext) -> None:
    request = ctx.request
    if gw.rag is None or not isinstance(request, ChatRequest) or request.model_extra is None:
        return
    extras = request.model_extra
    chunks = [c for name in FIELDS if extras.get(name) is not None for c in parse_chunks(name, extras[name]) if c]
    if not any(c.meta is not None for c in chunks):
        return
    config = gw.config.rag
    team_groups, user_groups = caller_groups(config, ctx.principal.team if ctx.principal else None, request.user)
    decision = decide(config, await gw.rag.snapshot(), chunks, team_groups, user_groups, utcnow())
    ctx.checks.state[STATE_KEY] = ChunkState([c.ref for c in decision.kept], decision.removed_count)
    if decision.removed or decision.flags or decision.refused:
        ctx.verdicts.append(_verdict(decision))
    if decision.refused:
        ctx.status = "blocked"
        raise PermissionDenied(decision.refused, param="documents", code="rag_source_refused")
    if decision.removed:
        _keep_only(extras, decision.kept)


def _keep_only(extras: dict[str, Any], kept: list[Chunk]) -> None:
    positions = {(c.field, c.position) for c in kept}
    for name in FIELDS:
        value = extras.get(name)
        if isinstance(value, list):
            extras[name] = [item for i, item in enumerate(value) if (name, i) in positions]
        elif value is not None and (name, 0) not in positions:
            extras[name] = []


def _verdict(decision: Decision) -> Verdict:
    findings = [Finding(kind, 1.0, detail=f"removed {n}") for kind, n in decision.removed.items()]
    findings += [Finding(kind, 1.0, detail=str(n)) for kind, n in decision.flags.items()]
    action: Action = "block" if decision.refused else "flag" if decision.flags else "mask"
    return Verdict("rag", action, 1.0, tuple(findings), message=decision.refused)


def attach_chunks(gw: Gateway, ctx: RequestContext) -> None:
    """The remaining chunks (as the input guardrails left them) as the first system message, numbered from 1."""
    if gw.rag is None or not gw.config.rag.send_documents or not ctx.checks.documents:
        return
    messages = ctx.payload.get("messages")
    if not isinstance(messages, list):
        return
    numbered = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(ctx.checks.documents, start=1))
    ctx.payload["messages"] = [{"role": "system", "content": f"{HEADING}\n\n{numbered}"}, *messages]
    ctx.checks.state[ATTACHED_KEY] = True


def chunks_attached(ctx: RequestContext) -> bool:
    """Whether chunks were added to the upstream body (which the budget hold must then cover)."""
    return bool(ctx.checks.state.get(ATTACHED_KEY))
