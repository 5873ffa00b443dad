"""Keys and teams (admin keys only, as `/admin/keys` and `/admin/teams`)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from gateway.api.deps import gateway_of
from gateway.console.forms import run_page
from gateway.console.render import page
from gateway.console.session import Viewer
from gateway.errors import PermissionDenied
from registry.keys import list_keys, list_teams

router = APIRouter()


@router.get("/console/keys")
async def keys_page(request: Request) -> Response:
    async def show(viewer: Viewer) -> Response:
        if not viewer.is_admin:
            raise PermissionDenied("this page needs an admin key", code="admin_required")
        engine = gateway_of(request).engine
        teams = await asyncio.to_thread(list_teams, engine)
        keys = await asyncio.to_thread(list_keys, engine)
        return page(request, "keys.html", viewer, active="keys", teams=teams, keys=keys)

    return await run_page(request, show)
