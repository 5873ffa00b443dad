"""Registry routes for model monitoring: prediction and ground-truth ingest, reference registration, check runs,
the latest results and alerts, and the HTML / JSON report. Access follows the model's team, like the inventory."""

from __future__ import annotations

import asyncio
import math
from dataclasses import asdict
from typing import TYPE_CHECKING, Literal

import httpx
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.api.registry_common import (
    actor_of,
    api_config,
    body_as,
    engine_of,
    in_session,
    json_body,
    json_response,
    validate_as,
)
from gateway.api.registry_models import MODEL
from gateway.api.registry_monitor_queries import alert_json, alerts, monitoring_status, reference_for
from gateway.api.openapi_bodies import body_schema
from gateway.errors import BadRequest, NotFound, PayloadTooLarge
from registry.db import session_scope
from registry.governance import list_models
from registry.governance.access import find_version, readable_model, writable_model
from registry.monitoring.config import MonitorConfig
from registry.monitoring.metrics import validated_metric_names
from registry.monitoring.schemas import FeatureKind, GroundTruthRecord, PredictionBatch, PredictionRecord, Task

if TYPE_CHECKING:
    from registry.monitoring.runner import CheckReport

# The drift engine (numpy, pyarrow) is imported by the handlers that use it, on first use, so a gateway that
# never serves a monitoring call does not carry it in memory.

router = APIRouter(tags=["registry"])
_PREDICTIONS = TypeAdapter(list[PredictionRecord])
_GROUND_TRUTH = TypeAdapter(list[GroundTruthRecord])
Value = float | int | str | bool | None
PredictionsBody = list[PredictionRecord] | dict[Literal["records"], list[PredictionRecord]]
"""A list of records, or `{"records": [...]}` (as `MonitoringClient` sends them)."""
GroundTruthBody = list[GroundTruthRecord] | dict[Literal["records"], list[GroundTruthRecord]]
PREDICTIONS_EXAMPLE = {"records": [{"model_version": "2", "ts": "2030-01-31T12:00:00Z", "request_id": "r-1",
                                    "features": {"income": 52000, "region": "north"}, "prediction": 1, "score": 0.81}]}
GROUND_TRUTH_EXAMPLE = {"records": [{"request_id": "r-1", "actual": 0}]}
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'"


class ReferenceIn(BaseModel):
    """A version's reference data (training / validation set) as columns of equal length."""

    model_config = ConfigDict(extra="forbid")

    task: Task = "classification"
    features: dict[str, list[Value]] = Field(min_length=1)
    predictions: list[float | int | str] | None = None
    scores: list[float] | None = None
    labels: list[float | int | str] | None = None
    validated_metrics: dict[str, float] = {}
    kinds: dict[str, FeatureKind] = {}

    @model_validator(mode="after")
    def _same_length(self) -> ReferenceIn:
        columns = {**self.features, "predictions": self.predictions, "scores": self.scores, "labels": self.labels}
        lengths = {name: len(values) for name, values in columns.items() if values is not None}
        if len(set(lengths.values())) != 1 or 0 in lengths.values():
            raise ValueError(f"columns must be non-empty and of equal length, got {lengths!r}")
        if any(not math.isfinite(v) for v in self.validated_metrics.values()):
            raise ValueError("validated metrics must be finite numbers")
        validated_metric_names(self.task, self.validated_metrics)  # refused here as a 400, not in the worker thread
        return self


def _records(data: object, limit: int) -> list[object]:
    """The body is a list of records or `{"records": [...]}`; more than `limit` records is a 413."""
    if isinstance(data, dict) and set(data) == {"records"}:
        data = data["records"]
    if not isinstance(data, list):
        got = f"an object with keys {sorted(data)!r}" if isinstance(data, dict) else type(data).__name__
        raise BadRequest(f"invalid value for 'records': the body must be a list of records or "
                         f"{{\"records\": [...]}}, got {got}", param="records")
    if len(data) > limit:
        raise PayloadTooLarge(f"{len(data)} records in one request; the limit is {limit}", code="batch_too_large")
    return data


@router.post(MODEL + "/predictions", openapi_extra=body_schema(PredictionsBody, example=PREDICTIONS_EXAMPLE))
async def predictions_ingest(request: Request, name: str) -> Response:
    """Append logged predictions and fold them into the drift sketches of versions with a reference."""
    actor = await actor_of(request)
    await in_session(request, lambda s: writable_model(s, actor, name))
    config = api_config(request)
    records = validate_as(_PREDICTIONS, _records(await json_body(request), config.max_batch), "records")
    batch = PredictionBatch.model_construct(records=records)  # the size was checked against the configured limit
    from registry.monitoring.ingest import ingest_predictions

    from registry.monitoring.expectations_alerts import dispatcher_for

    expect = config.monitor.expectations.get(name)
    result = await asyncio.to_thread(ingest_predictions, engine_of(request), name, batch,
                                     config.monitor.bucket_seconds, expect, dispatcher_for(config.monitor, expect))
    return json_response(result)


@router.post(MODEL + "/ground-truth", openapi_extra=body_schema(GroundTruthBody, example=GROUND_TRUTH_EXAMPLE))
async def ground_truth_ingest(request: Request, name: str) -> Response:
    """Actual outcomes, joined to logged predictions by `request_id`."""
    actor = await actor_of(request)
    await in_session(request, lambda s: writable_model(s, actor, name))
    records = validate_as(_GROUND_TRUTH, _records(await json_body(request), api_config(request).max_batch), "records")
    from registry.monitoring.ingest import ingest_ground_truth

    stored = await asyncio.to_thread(ingest_ground_truth, engine_of(request), name, records)
    return json_response({"stored": stored})


@router.put(MODEL + "/versions/{version}/reference", openapi_extra=body_schema(ReferenceIn))
async def reference_register(request: Request, name: str, version: str) -> Response:
    """Profile a version's reference data (replacing an earlier one); drift is measured against it."""
    actor = await actor_of(request)
    await in_session(request, lambda s: find_version(s, writable_model(s, actor, name), version))
    body = await body_as(request, ReferenceIn)
    n_bins = api_config(request).monitor.drift.n_bins
    from registry.monitoring.store import register_reference

    registered = await asyncio.to_thread(
        register_reference, engine_of(request), name, version, body.features, task=body.task,
        predictions=body.predictions, scores=body.scores, labels=body.labels,
        validated_metrics=body.validated_metrics, kinds=body.kinds, n_bins=n_bins,
    )
    return json_response({"model": name, "version": version, "features": registered.profile.names,
                          "validated_metrics": registered.validated_metrics})


@router.post(MODEL + "/monitoring/run")
async def monitoring_run(request: Request, name: str, version: str | None = None) -> Response:
    """Run the checks now (the latest referenced version, or `version`), store results, raise alerts."""
    actor = await actor_of(request)
    tier = await in_session(request, lambda s: writable_model(s, actor, name).risk_tier)
    reports = await asyncio.to_thread(_run, engine_of(request), api_config(request).monitor, name, tier, version)
    return json_response({"data": [_report_json(r) for r in reports]})


def _run(engine: Engine, config: MonitorConfig, name: str, tier: int | None, version: str | None) -> list[CheckReport]:
    from registry.monitoring.governance_link import governance_hooks, governed_config
    from registry.monitoring.runner import MonitorContext, run_check
    from registry.monitoring.schedule import run_due

    hooks = governance_hooks(engine)
    with httpx.Client() as http:
        # The same governance hooks as `warden monitor`: the tier's schedule, the audit trail, alias rollback.
        ctx = MonitorContext(engine=engine, config=governed_config(config), tier_lookup=hooks.tier_lookup,
                             audit=hooks.audit, switcher=hooks.switcher, http=http)
        with session_scope(engine) as session:
            reference = reference_for(session, name, version)
            if reference is None:
                raise NotFound(f"no monitoring reference registered for {name!r} version {version!r}",
                               code="not_found")
            if version is not None:
                return [run_check(ctx, session, reference)]
        return run_due(ctx, model_name=name, force=True)


def _report_json(report: CheckReport) -> dict[str, object]:
    return {"version": report.model_version, "tier": report.tier, "level": report.level.value,
            "window_start": report.window_start.isoformat(), "window_end": report.window_end.isoformat(),
            "drifted": [d.feature for d in report.drift if d.drifted], "alerts": len(report.alerts),
            "emergency": report.emergency, "retrain_request_id": report.retrain_request_id}


@router.get(MODEL + "/monitoring")
async def monitoring_get(request: Request, name: str) -> Response:
    """Latest check results per version, recent alerts and open re-training requests."""
    actor = await actor_of(request)

    def status(session: Session) -> dict[str, object]:
        model = readable_model(session, actor, name)
        return monitoring_status(session, model.name)

    return json_response(await in_session(request, status))


@router.get(MODEL + "/report")
async def monitoring_report(request: Request, name: str, version: str | None = None,
                            format: Literal["html", "json"] = "html") -> Response:
    """The self-contained HTML report (inline SVG); `?format=json` gives the summary it is drawn from."""
    actor = await actor_of(request)
    config = api_config(request).monitor

    from registry.monitoring.report import build_summary, render_html

    def summary(session: Session) -> object:
        readable_model(session, actor, name)
        reference = reference_for(session, name, version)
        if reference is None:
            raise NotFound(f"no monitoring reference registered for {name!r} version {version!r}", code="not_found")
        return build_summary(session, reference, config)

    built = await in_session(request, summary)
    if format == "json":
        return json_response(asdict(built))  # type: ignore[call-overload]
    return Response(render_html(built, config), media_type="text/html; charset=utf-8",  # type: ignore[arg-type]
                    headers={"content-security-policy": REPORT_CSP})


@router.get("/registry/alerts")
async def alerts_list(request: Request, model: str | None = None,
                      level: Literal["info", "warning", "critical", "emergency"] | None = None,
                      limit: int = Query(default=100, ge=1, le=1000)) -> Response:
    """Monitoring alerts of the models the key may see, newest first."""
    actor = await actor_of(request)

    def fetch(session: Session) -> list[dict[str, object]]:
        if model is not None:
            names: list[str] | None = [readable_model(session, actor, model).name]
        else:
            names = None if actor.admin else [m.name for m in list_models(session, actor)]
        return [alert_json(a) for a in alerts(session, names, level, limit)]

    return json_response({"data": await in_session(request, fetch)})
