"""Step 5 (before call_provider): the usage policy. The request's data class picks the deployments it may go to
(re-routed within the model group, else masked when the policy says so, else 403 naming the class and the
deployment); its use case must be allowed and its conditions in force. After the call, answers are marked as
AI-generated and, for use cases under human review, marked and queued for a reviewer."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from gateway.errors import PermissionDenied
from gateway.pipeline.context import RequestContext
from gateway.providers.base import ChunkStream, Completion, NativeStream
from gateway.tracing import traced
from gateway.usage_policy.attribution import AI_HEADER, MarkedStream, mark_body
from gateway.usage_policy.classify import classify, highest, payload_texts, personal_findings
from gateway.usage_policy.decision import PolicyDecision
from gateway.usage_policy.routing import permitted, refusal
from gateway.usage_policy.use_case_rules import USE_CASE_FIELD, carried, enforce
from registry.review_queue import ReviewItem
from registry.tables import new_row_id

if TYPE_CHECKING:
    from gateway.pipeline.streaming import SseStream
    from gateway.state import Gateway

REVIEW_HEADER = "x-warden-review"


@traced("apply_policy")
async def apply_policy(gw: Gateway, ctx: RequestContext) -> None:
    if gw.policy is None:
        return
    config, principal = gw.policy.config, ctx.principal
    assert principal is not None and ctx.model is not None
    metadata = getattr(ctx.request, "metadata", None) or {}
    prompt = ctx.resolved_prompt.name if ctx.resolved_prompt else None
    sources = classify(config, declared=ctx.declared_class or metadata.get("data_class"), team=principal.team,
                       prompt=prompt, verdicts=ctx.verdicts, texts=payload_texts(ctx.payload, ctx.checks.documents))
    decision = ctx.policy = PolicyDecision(highest(config, sources), sources)
    try:
        await _route(gw, ctx, decision)
        index = gw.policy.index
        enforce(config, index, decision, carried(index, principal.key_id, prompt, metadata.get(USE_CASE_FIELD)),
                model=ctx.model, guardrails=_guardrails_on(gw, ctx))
    except PermissionDenied as exc:
        decision.flags.append(exc.code or "refused")
        gw.policy.audit(_actor(ctx), "policy.refuse", ctx.request_id, {**decision.summary(), "reason": exc.message})
        raise
    if decision.review:
        decision.review_id = new_row_id()
        ctx.headers[REVIEW_HEADER] = "required"
        ctx.headers[f"{REVIEW_HEADER}-id"] = decision.review_id
    ctx.headers["x-warden-data-class"] = decision.data_class
    if decision.action != "allow":
        gw.policy.audit(_actor(ctx), f"policy.{decision.action}", ctx.request_id, decision.summary())


async def _route(gw: Gateway, ctx: RequestContext, decision: PolicyDecision) -> None:
    """Restrict the deployments to those allowed the class; mask personal data when none is, if the policy says so."""
    assert gw.policy is not None and ctx.model is not None
    config = gw.policy.config
    group = gw.router.group(ctx.model)
    # The group itself too: a model served under a wildcard is not among the router's listed models.
    everywhere = [*gw.policy.deployments(gw.router), *group]
    allowed = permitted(config, everywhere, decision.data_class)
    if not any(d.id in allowed for d in group) and config.on_disallowed == "mask" and "pii" in decision.sources:
        rest = highest(config, decision.sources, without="pii")
        if any(d.id in permitted(config, group, rest) for d in group):
            await _mask(gw, ctx)
            decision.data_class, allowed = rest, permitted(config, everywhere, rest)
            decision.note("mask", "personal_data_masked")
    if not any(d.id in allowed for d in group):
        raise PermissionDenied(refusal(config, group, decision.data_class), param="model", code="data_class_not_allowed")
    if any(d.id not in allowed for d in everywhere):
        decision.deployments = allowed
        if any(d.id not in allowed for d in group):
            decision.note("reroute")


async def _mask(gw: Gateway, ctx: RequestContext) -> None:
    """What the input guardrails masked already leaves; what they only flagged is masked for good here."""
    assert gw.policy is not None
    found = personal_findings(gw.policy.config, ctx.verdicts)
    if all(v.action == "mask" for v in found):
        return
    from gateway.exchange_masking import PayloadMasker  # the PII models load only for a policy that masks

    messages = ctx.payload.get("messages")
    if messages is not None:
        [ctx.payload["messages"]] = await asyncio.to_thread(PayloadMasker().mask_values, [messages])


def _guardrails_on(gw: Gateway, ctx: RequestContext) -> frozenset[str]:
    policy = gw.guardrails.policy(ctx.guardrail_policy)
    if policy is None:
        return frozenset()
    chains = [c for c in (policy.input, policy.output) if c is not None]
    return frozenset(g.name for c in chains for g in c.guardrails if g.options.mode != "off")


def _actor(ctx: RequestContext) -> str:
    principal = ctx.principal
    if principal is None:
        return "anonymous"
    return principal.key_id if principal.team is None else f"{principal.key_id}@{principal.team}"


def mark_stream(gw: Gateway, ctx: RequestContext, result: Completion | ChunkStream) -> Completion | ChunkStream:
    """A stream's chunks get the notice (and its end queues the review) before the output checks relay them."""
    if gw.policy is None or ctx.policy is None or not isinstance(result, ChunkStream):
        return result
    if isinstance(result, NativeStream):  # relayed event by event as the upstream sent them: only the header
        if gw.policy.config.attribution.header:
            ctx.headers[AI_HEADER] = "true"
        return result
    if gw.policy.config.attribution.header:
        ctx.headers[AI_HEADER] = "true"

    async def queue(texts: list[str]) -> None:
        _queue_review(gw, ctx, texts)

    return MarkedStream(result, gw.policy.config.attribution, _review_fields(ctx), queue)


def mark_answer(gw: Gateway, ctx: RequestContext, answer: Completion | SseStream) -> None:
    if gw.policy is None or ctx.policy is None or not isinstance(answer, Completion) or ctx.endpoint == "embeddings":
        return
    attribution = gw.policy.config.attribution
    if attribution.header:
        ctx.headers[AI_HEADER] = "true"
    texts = mark_body(attribution, answer.body, _review_fields(ctx))
    _queue_review(gw, ctx, texts)


def _review_fields(ctx: RequestContext) -> dict[str, object]:
    decision = ctx.policy
    if decision is None or not decision.review:
        return {}
    return {"review": "required", "review_id": decision.review_id}


def _queue_review(gw: Gateway, ctx: RequestContext, texts: list[str]) -> None:
    decision, principal = ctx.policy, ctx.principal
    if gw.policy is None or decision is None or not decision.review or decision.review_id is None:
        return
    item = ReviewItem(id=decision.review_id, request_id=ctx.request_id, team=principal.team if principal else None,
                      key_id=principal.key_id if principal else None, use_case=decision.use_case or "-",
                      model=ctx.model, deployment=ctx.served.deployment.id if ctx.served else None,
                      exchange={"messages": ctx.payload.get("messages") or [], "answer": texts})
    from gateway.exchange_masking import PayloadMasker  # loaded only when a use case asks for review

    gw.policy.queue_review(item, PayloadMasker())
