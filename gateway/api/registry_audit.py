"""Registry routes for the audit trail (a model's entries for its team, everything and verification for admins)
and the decommissioning steps, with the gateway's adapters for them: usage from the usage table, and notices
POSTed to a webhook."""

from __future__ import annotations

import logging

import httpx
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import Session

from gateway.api.deps import admin_of
from gateway.api.registry_common import actor_of, api_config, body_as, engine_of, in_session, json_response
from gateway.api.registry_models import MODEL
from gateway.api.openapi_bodies import body_schema
from gateway.config import MAX_INT64
from gateway.errors import ServiceUnavailable
from gateway.pipeline.context import Principal
from registry.governance import (
    ArchiveIn,
    DecommissionNotice,
    DecommissionStart,
    Notifier,
    PostMortem,
    archive_model,
    check_migration,
    cleanup_model,
    get_model,
    list_entries,
    record_postmortem,
    start_decommission,
    verify,
)
from registry.governance.access import readable_model
from registry.usage_stats import usage_lookup

log = logging.getLogger("warden.registry")
router = APIRouter(tags=["registry"])
Limit = Query(default=100, ge=1, le=1000)
Offset = Query(default=0, ge=0, le=MAX_INT64)


@router.get(MODEL + "/audit")
async def model_audit(request: Request, name: str, limit: int = Limit, offset: int = Offset) -> Response:
    """The audit chain of one model the key may see."""
    actor = await actor_of(request)

    def entries(session: Session) -> list[object]:
        model = readable_model(session, actor, name)
        return list(list_entries(session, chain=model.name, limit=limit, offset=offset))

    return json_response({"data": await in_session(request, entries)})


@router.get("/registry/audit")
async def audit_entries(request: Request, chain: str | None = None, limit: int = Limit, offset: int = Offset,
                        _: Principal = Depends(admin_of)) -> Response:
    rows = await in_session(request, lambda s: list_entries(s, chain=chain, limit=limit, offset=offset))
    return json_response({"data": rows})


@router.get("/registry/audit/verify")
async def audit_verify(request: Request, chain: str | None = None, _: Principal = Depends(admin_of)) -> Response:
    """Walk every hash chain (or one); `ok` is false and `first_bad` names the earliest broken entry on tampering."""
    report = await in_session(request, lambda s: verify(s, chain))
    return json_response({"ok": report.ok, "chains": report.chains, "entries": report.entries,
                          "first_bad": report.first_bad, "problems": report.problems})


@router.get(MODEL + "/decommission")
async def decommission_get(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    model = await in_session(request, lambda s: get_model(s, actor, name))
    return json_response({"plan": model.decommission_plan, "state": model.decommission})


@router.post(MODEL + "/decommission/start", openapi_extra=body_schema(DecommissionStart))
async def decommission_start(request: Request, name: str) -> Response:
    """Record criteria and effective date (30-60 days ahead) and deliver the notice; no notice, no start."""
    actor = await actor_of(request)
    data = await body_as(request, DecommissionStart)
    notify = _notifier(api_config(request).decommission_webhook)
    return json_response(await in_session(request, lambda s: start_decommission(s, actor, name, data, notify)))


@router.post(MODEL + "/decommission/migration-check")
async def decommission_migration(request: Request, name: str) -> Response:
    """Passes when the gateway served no request for the model (or the retired version) in the usage window and no
    rollout plan routes to it."""
    actor = await actor_of(request)
    lookup = usage_lookup(engine_of(request), api_config(request).usage_window_days)
    out = await in_session(request, lambda s: check_migration(s, actor, name, lookup))
    return json_response(out)


@router.post(MODEL + "/decommission/archive", openapi_extra=body_schema(ArchiveIn))
async def decommission_archive(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    data = await body_as(request, ArchiveIn)
    return json_response(await in_session(request, lambda s: archive_model(s, actor, name, data)))


@router.post(MODEL + "/decommission/cleanup")
async def decommission_cleanup(request: Request, name: str) -> Response:
    """Stop all routing (409 listing the missing steps: effective date, migration check, rollout plan, archive)."""
    actor = await actor_of(request)
    return json_response(await in_session(request, lambda s: cleanup_model(s, actor, name)))


@router.post(MODEL + "/decommission/postmortem", openapi_extra=body_schema(PostMortem))
async def decommission_postmortem(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    data = await body_as(request, PostMortem)
    return json_response(await in_session(request, lambda s: record_postmortem(s, actor, name, data)))


def _notifier(webhook: str | None) -> Notifier:
    def notify(notice: DecommissionNotice) -> None:
        if webhook is None:
            log.info("decommissioning notice for model %r, effective %s (no webhook configured)",
                     notice.model, notice.effective_on.isoformat())
            return
        try:
            response = httpx.post(webhook, json=notice.model_dump(mode="json"), timeout=10)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the decommissioning notice could not be delivered ({type(exc).__name__})",
                                     code="notice_failed") from None

    return notify

