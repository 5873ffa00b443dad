"""The human-review queue of answers (the usage policy's `human_review` use cases): pending answers with their
masked exchange, approved or rejected from the page through the function `POST /registry/answer-reviews/{id}/...`
calls. Admin keys only, as on the REST routes; the decision is audited with the signed-in key as the reviewer."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from sqlmodel import Session

from gateway.api.registry_common import Conflict, actor_name, in_session
from gateway.console.forms import read_form, run_page
from gateway.console.render import page, redirect
from gateway.console.session import Viewer
from gateway.errors import NotFound, PermissionDenied
from registry import review_queue
from registry.review_queue import DecisionIn

router = APIRouter()
ItemId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
Status = Literal["pending", "approved", "rejected", "all"]


def _admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise PermissionDenied("deciding answer reviews needs an admin key", code="admin_required")


@router.get("/console/reviews")
async def reviews_page(request: Request, status: Status = "pending") -> Response:
    async def show(viewer: Viewer) -> Response:
        _admin(viewer)
        wanted = None if status == "all" else status
        items = await in_session(request, lambda s: [i.view(full=True) for i in review_queue.list_items(s, wanted,
                                                                                                       limit=200)])
        return page(request, "reviews.html", viewer, active="reviews", items=items, shown=status)

    return await run_page(request, show)


@router.post("/console/reviews/{item_id}/{outcome}")
async def decide(request: Request, item_id: ItemId, outcome: Literal["approve", "reject"]) -> Response:
    async def act(viewer: Viewer) -> Response:
        _admin(viewer)
        form = await read_form(request, viewer)
        decision = DecisionIn(note=form.get("note", "").strip()[:4000])
        reviewer = actor_name(viewer.principal.key_id, viewer.principal.team)
        verdict: Literal["approved", "rejected"] = "approved" if outcome == "approve" else "rejected"

        def work(session: Session) -> None:
            try:
                review_queue.decide(session, reviewer, item_id, verdict, decision)
            except LookupError:
                raise NotFound(f"review {item_id!r} does not exist", code="not_found") from None
            except review_queue.ReviewError as exc:
                raise Conflict(str(exc)) from None

        await in_session(request, work)
        return redirect("/console/reviews")

    return await run_page(request, act)
