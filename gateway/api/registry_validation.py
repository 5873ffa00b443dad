"""`POST /registry/models/{name}/versions/{version}/validate`: a validation report computed from the evaluation
set in the request body (CSV, Parquet or JSON lines, named by `?format=`), stored on the version through the same
permission-checked, audited path as a typed report. Options are query parameters (`label`, `segment`, `sensitive`,
`filter`, `bootstrap`...); edge-case files and ONNX perturbations are CLI-only."""

from __future__ import annotations

import asyncio
from datetime import date

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from gateway.api.deps import read_body
from gateway.api.openapi_bodies import file_body
from gateway.api.registry_common import actor_of, api_config, in_session, invalid, json_response
from gateway.api.registry_models import MODEL
from gateway.errors import BadRequest
from registry.validation.options import SUFFIXES, DataFile, ValidationInputError, ValidationOptions

router = APIRouter(tags=["registry"])
LISTS = ("segment", "sensitive")


def _options(request: Request) -> ValidationOptions:
    params = request.query_params
    fmt = params.get("format", "")
    if fmt not in set(SUFFIXES.values()):
        raise BadRequest(f"invalid value for 'format': {fmt!r} (csv, parquet or jsonl)", param="format")
    known = set(ValidationOptions.model_fields) - {"segments", "bootstrap_rows"}
    unknown = sorted(set(params) - known - set(LISTS) - {"format"})
    if unknown:
        raise BadRequest(f"unknown query parameter {unknown[0]!r}", param=unknown[0])
    values: dict[str, object] = {k: v for k, v in params.items() if k in known}
    values |= {"segments": params.getlist("segment"), "sensitive": params.getlist("sensitive")}
    try:
        return ValidationOptions.model_validate(values)
    except ValidationError as exc:
        raise invalid(exc) from None


@router.post(MODEL + "/versions/{version}/validate", openapi_extra=file_body(
    "The labelled evaluation set: CSV, JSON lines or Parquet, as `?format=csv|jsonl|parquet` says."))
async def validate(request: Request, name: str, version: str) -> Response:
    from registry.validation.service import compute, store, version_context

    actor = await actor_of(request)
    options = _options(request)
    raw = await read_body(request, api_config(request).max_body_bytes)
    data = DataFile(raw, request.query_params["format"], "request body")  # type: ignore[arg-type]
    context = await in_session(request, lambda s: version_context(s, actor, name, version))
    try:
        report = await asyncio.to_thread(compute, context, data, options, actor.name, date.today())
    except ValidationInputError as exc:
        raise BadRequest(str(exc), code="invalid_validation_data") from None
    await in_session(request, lambda s: store(s, actor, name, context.version, report))
    return json_response(report)
