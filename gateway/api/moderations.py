"""`POST /v1/moderations` in OpenAI's shape, answered by Warden's own detectors (`gateway.pipeline.moderate`).

Warden's harm categories map onto OpenAI's; `prompt-injection` and `privacy` are Warden's own additions (the
SDK keeps unknown categories). A category's score is its strongest finding, 0 when nothing was found.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response

from gateway.api.deps import gateway_of, new_context, read_body, response_headers
from gateway.api.openapi_bodies import body_schema
from gateway.pipeline.moderate import MODEL, ModerationRequest, moderate
from guardrails.base import Finding

router = APIRouter(prefix="/v1", tags=["openai"])
OPENAI_CATEGORIES = ("harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
                     "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual",
                     "sexual/minors", "violence", "violence/graphic")
CATEGORIES = (*OPENAI_CATEGORIES, "prompt-injection", "privacy")
AS_OPENAI: dict[str, tuple[str, ...]] = {
    "violence": ("violence",), "weapons": ("illicit", "illicit/violent"), "self_harm": ("self-harm",),
    "sexual_minors": ("sexual", "sexual/minors"), "hate": ("hate",), "harassment": ("harassment",),
    "illegal_drugs": ("illicit",), "cybercrime": ("illicit",), "fraud": ("illicit",), "extremism": ("hate",),
    "privacy": ("privacy",),
}


@router.post("/moderations", openapi_extra=body_schema(ModerationRequest))
async def moderations(request: Request) -> Response:
    gw = gateway_of(request)
    ctx = new_context(request, "moderations")
    body = await read_body(request, gw.config.server.max_body_bytes)
    found = await moderate(gw, ctx, request.headers.get("authorization"), body)
    answer = {"id": f"modr-{ctx.request_id}", "model": MODEL, "results": [_result(f) for f in found]}
    return Response(orjson.dumps(answer), media_type="application/json", headers=response_headers(ctx))


def _result(findings: list[Finding]) -> dict[str, object]:
    """Every finding a detector reported is over its threshold: its categories are flagged."""
    scores = dict.fromkeys(CATEGORIES, 0.0)
    for finding in findings:
        for name in _names(finding):
            scores[name] = max(scores[name], round(finding.score, 6))
    hit = {name for finding in findings for name in _names(finding)}
    flagged = {name: name in hit for name in CATEGORIES}
    return {"flagged": any(flagged.values()), "categories": flagged, "category_scores": scores,
            "category_applied_input_types": {name: ["text"] for name in CATEGORIES}}


def _names(finding: Finding) -> tuple[str, ...]:
    return ("prompt-injection",) if finding.kind.startswith("injection") else AS_OPENAI.get(finding.kind, ())
