"""Registry routes of the Model Review Board: submissions, votes, the chair's decision, and board roles.

Board members are API keys: an admin grants roles to a key id, and the key then votes under its audit name
(`key_id@team`). Votes are authorised by the role, not by team membership (the board reviews every team).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from gateway.api.deps import admin_of, principal_of
from gateway.api.registry_common import RowId, actor_for, actor_of, body_as, in_session, json_response
from gateway.api.registry_models import MODEL
from gateway.api.openapi_bodies import body_schema
from gateway.errors import NotFound
from gateway.pipeline.context import Principal
from registry.governance import (
    DecisionIn,
    SubmissionIn,
    VoteIn,
    decide,
    get_review,
    list_reviews,
    record_vote,
    set_reviewer_roles,
    submit_for_review,
)
from registry.governance.identity import actor_name
from registry.governance.review import reviewer_roles
from registry.governance.types import ReviewerRole
from registry.tables import ApiKey

router = APIRouter(tags=["registry"])


class RolesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[ReviewerRole]


@router.post(MODEL + "/reviews", openapi_extra=body_schema(SubmissionIn))
async def review_submit(request: Request, name: str) -> Response:
    """Open a review of a version (409 listing what is missing: card sections, validation report, code review)."""
    actor = await actor_of(request)
    data = await body_as(request, SubmissionIn)
    return json_response(await in_session(request, lambda s: submit_for_review(s, actor, name, data)), 201)


@router.get(MODEL + "/reviews")
async def reviews_list(request: Request, name: str, version: str | None = None) -> Response:
    actor = await actor_of(request)
    rows = await in_session(request, lambda s: list_reviews(s, actor, name, version))
    return json_response({"data": rows})


@router.get("/registry/reviews/{review_id}")
async def review_get(request: Request, review_id: RowId) -> Response:
    actor = await actor_of(request)
    return json_response(await in_session(request, lambda s: get_review(s, actor, review_id)))


@router.post("/registry/reviews/{review_id}/votes", openapi_extra=body_schema(VoteIn))
async def review_vote(request: Request, review_id: RowId) -> Response:
    actor = await actor_of(request)
    vote = await body_as(request, VoteIn)
    return json_response(await in_session(request, lambda s: record_vote(s, actor, review_id, vote)))


@router.post("/registry/reviews/{review_id}/decision", openapi_extra=body_schema(DecisionIn))
async def review_decide(request: Request, review_id: RowId) -> Response:
    actor = await actor_of(request)
    data = await body_as(request, DecisionIn)
    return json_response(await in_session(request, lambda s: decide(s, actor, review_id, data)))


@router.put("/registry/reviewers/{key_id}", openapi_extra=body_schema(RolesIn))
async def reviewer_grant(request: Request, key_id: str, admin: Principal = Depends(admin_of)) -> Response:
    """Grant board roles to a key (replaces its roles); audited on the `registry` chain."""
    actor = actor_for(admin)
    body = await body_as(request, RolesIn)

    def grant(session: Session) -> dict[str, object]:
        key = session.get(ApiKey, key_id)
        if key is None:
            raise NotFound(f"no key {key_id!r}", code="not_found")
        user = actor_name(key.id, key.team)
        return {"key_id": key.id, "actor": user, "roles": set_reviewer_roles(session, actor, user, body.roles)}

    return json_response(await in_session(request, grant))


@router.get("/registry/whoami")
async def whoami(request: Request) -> Response:
    """The caller as the registry sees it: audit name, teams, admin flag and board roles."""
    principal = await principal_of(request)
    actor = actor_for(principal)
    roles = await in_session(request, lambda s: sorted(reviewer_roles(s, actor.name)))
    return json_response({"key_id": principal.key_id, "actor": actor.name, "person": actor.person,
                          "team": principal.team, "admin": actor.admin, "reviewer_roles": roles})
