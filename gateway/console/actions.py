"""What a reviewer does from the console: vote on a review, move an alias. Each goes through the governance
function the `/registry` API calls, with the signed-in key as the audited actor."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from sqlmodel import Session

from gateway.api.registry_common import RowId, in_session, invalid
from gateway.console.forms import field, read_form, run_page
from gateway.console.render import redirect
from gateway.console.session import Viewer
from gateway.errors import BadRequest
from registry.governance import VoteIn, record_vote, set_alias
from registry.governance import errors as gov
from registry.governance.access import readable_model

router = APIRouter()


def _approve(value: str) -> bool:
    if value not in ("yes", "no"):
        raise BadRequest(f"invalid value for 'approve': {value!r} (yes or no)", param="approve")
    return value == "yes"


def _may_read(session: Session, viewer: Viewer, name: str) -> bool:
    try:
        readable_model(session, viewer.actor, name)
    except (gov.NotFound, gov.PermissionDenied):
        return False
    return True


def _model_url(name: str) -> str:
    return f"/console/model?name={quote(name, safe='')}"


@router.post("/console/reviews/{review_id}/vote")
async def vote(request: Request, review_id: RowId) -> Response:
    async def act(viewer: Viewer) -> Response:
        form = await read_form(request, viewer)
        try:
            ballot = VoteIn(role=field(form, "role", 32), approve=_approve(field(form, "approve", 8)),  # type: ignore[arg-type]
                            comment=form.get("comment", "").strip()[:2000] or None)
        except ValidationError as exc:
            raise invalid(exc) from None
        review = await in_session(request, lambda s: record_vote(s, viewer.actor, review_id, ballot))
        # A board member votes on every team's reviews but reads only its own team's models.
        readable = await in_session(request, lambda s: _may_read(s, viewer, review.model))
        return redirect(_model_url(review.model) if readable else "/console/models")

    return await run_page(request, act)


@router.post("/console/model/alias")
async def move_alias(request: Request) -> Response:
    async def act(viewer: Viewer) -> Response:
        form = await read_form(request, viewer)
        name, alias, version = field(form, "name"), field(form, "alias", 100), field(form, "version", 100)
        await in_session(request, lambda s: set_alias(s, viewer.actor, name, alias, version))
        return redirect(_model_url(name))

    return await run_page(request, act)
