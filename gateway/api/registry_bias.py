"""`POST /registry/models/{name}/datasets/{dataset}/{version}/bias`: the data-bias analysis of the training set in
the request body (CSV, Parquet or JSON lines, named by `?format=`), stored on the dataset version and audited.
Columns are query parameters: `sensitive` (repeatable, required), `label`, `segment` (repeatable).
`POST .../bias/waivers`: a board member's waiver of one group's gap (the bias gate of Tier 1-2 promotion)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from gateway.api.deps import read_body
from gateway.api.openapi_bodies import body_schema, file_body
from gateway.api.registry_common import actor_of, api_config, body_as, in_session, json_response
from gateway.api.registry_records import DATASET
from gateway.errors import BadRequest
from registry.governance.bias_records import BiasWaiverIn
from registry.validation.options import SUFFIXES, DataFile, ValidationInputError

router = APIRouter(tags=["registry"])
KNOWN = {"format", "sensitive", "label", "segment"}


@router.post(DATASET + "/bias", openapi_extra=file_body(
    "The training set: CSV, JSON lines or Parquet, as `?format=csv|jsonl|parquet` says."))
async def dataset_bias(request: Request, name: str, dataset: str, dataset_version: str) -> Response:
    from registry.governance.dataset_bias import set_dataset_bias
    from registry.validation.bias import analyse

    actor = await actor_of(request)
    params = request.query_params
    unknown = sorted(set(params) - KNOWN)
    if unknown:
        raise BadRequest(f"unknown query parameter {unknown[0]!r}", param=unknown[0])
    fmt = params.get("format", "")
    if fmt not in set(SUFFIXES.values()):
        raise BadRequest(f"invalid value for 'format': {fmt!r} (csv, parquet or jsonl)", param="format")
    sensitive = [c for c in params.getlist("sensitive") if c]
    if not sensitive:
        raise BadRequest("name at least one 'sensitive' column", param="sensitive")
    raw = await read_body(request, api_config(request).max_body_bytes)
    data = DataFile(raw, fmt, "request body")  # type: ignore[arg-type]
    try:
        bias = await asyncio.to_thread(
            analyse, data, sensitive, params.get("label") or None, [c for c in params.getlist("segment") if c])
    except ValidationInputError as exc:
        raise BadRequest(str(exc), code="invalid_dataset_data") from None
    await in_session(request, lambda s: set_dataset_bias(s, actor, name, dataset, dataset_version, bias))
    return json_response(bias)


@router.post(DATASET + "/bias/waivers", openapi_extra=body_schema(BiasWaiverIn))
async def dataset_bias_waiver(request: Request, name: str, dataset: str, dataset_version: str) -> Response:
    """A board member (chair, risk_compliance or ethics, as the body's `role` says) accepts one group's gap."""
    from registry.governance.dataset_bias import waive_bias

    actor = await actor_of(request)
    waiver = await body_as(request, BiasWaiverIn)
    return json_response(await in_session(
        request, lambda s: waive_bias(s, actor, name, dataset, dataset_version, waiver)))
