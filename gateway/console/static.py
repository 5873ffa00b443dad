"""The console's stylesheet, served from the package (no CDN, no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Response

router = APIRouter()
CSS = Path(__file__).parent / "templates" / "console.css"


@router.get("/console/static/console.css")
async def stylesheet() -> Response:
    return Response(CSS.read_bytes(), media_type="text/css", headers={"cache-control": "max-age=3600"})
