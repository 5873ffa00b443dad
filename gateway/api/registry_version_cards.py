"""Per-version model cards over REST: PUT a version's own sections, GET the version's composed card."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gateway.api.openapi_bodies import body_schema
from gateway.api.registry_common import actor_of, body_as, in_session, json_response
from gateway.api.registry_models import MODEL
from gateway.errors import BadRequest, NotFound
from registry.governance.card_evidence import evidence_sections, version_evidence
from registry.governance.card_render import render_markdown
from registry.governance.version_card import VersionCard, get_version_card, set_version_card

router = APIRouter(tags=["registry"])
CARD = MODEL + "/versions/{version}/card"


@router.put(CARD, openapi_extra=body_schema(VersionCard))
async def version_card_put(request: Request, name: str, version: str) -> Response:
    """Record the version's own card sections (training data, metrics, limitations, external audit); audited."""
    actor = await actor_of(request)
    card = await body_as(request, VersionCard)
    return json_response(await in_session(request, lambda s: set_version_card(s, actor, name, version, card)))


@router.get(CARD)
async def version_card_get(request: Request, name: str, version: str, format: str = "json") -> Response:
    """The version's card: the model's shared sections with the version's own on top; `?format=markdown` renders it
    with the version's validation report and interpretability record."""
    if format not in ("json", "markdown"):
        raise BadRequest(f"invalid value for 'format': {format!r} (json or markdown)", param="format")
    actor = await actor_of(request)
    card = await in_session(request, lambda s: get_version_card(s, actor, name, version))
    if card is None:
        raise NotFound(f"model {name!r} version {version!r} has no model card", code="not_found")
    if format == "markdown":
        evidence = await in_session(request, lambda s: version_evidence(s, actor, name, version))
        text = render_markdown(card, evidence_sections(evidence))
        return Response(text, media_type="text/markdown; charset=utf-8")
    return json_response(card)
