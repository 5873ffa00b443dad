"""Registry routes that attach each lifecycle phase's deliverable: charter, datasets, experiments, model card,
deployment record, monitoring and decommissioning plans (on the model), validation report and LLM links (on a
version). One table drives them: the path, the record's schema and the governance setter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.api.registry_common import actor_of, body_as, in_session, json_response
from gateway.api.registry_models import MODEL
from gateway.api.openapi_bodies import body_schema
from gateway.errors import BadRequest, NotFound
from registry.governance import (
    ModelCard,
    add_dataset_version,
    add_experiment,
    amend_dataset_version,
    check_card,
    get_model_card,
    list_dataset_versions,
    list_experiments,
    render_markdown,
    retire_dataset_version,
    set_charter,
    set_decommission_plan,
    set_deployment_record,
    set_llm_links,
    set_model_card,
    set_monitoring_plan,
    set_validation_report,
)
from registry.governance.access import readable_model
from registry.governance.gates import effective_policy
from registry.governance.inventory import card_with_classification
from registry.governance.policy import DEFAULT_POLICY
from registry.governance.records import (
    DatasetVersion,
    DecommissionPlan,
    DeploymentRecord,
    ExperimentRef,
    MonitoringPlan,
    ProjectCharter,
    ValidationReport,
)
from registry.governance.specs import LlmLinks

router = APIRouter(tags=["registry"])
Handler = Callable[..., Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class RecordRoute:
    """`PUT` replaces a record, `POST` appends one (datasets, experiments)."""

    path: str
    method: str
    schema: type[Any]
    setter: Callable[..., Any]
    status: int = 200


MODEL_RECORDS = (
    RecordRoute("/charter", "PUT", ProjectCharter, set_charter),
    RecordRoute("/card", "PUT", ModelCard, set_model_card),
    RecordRoute("/deployment", "PUT", DeploymentRecord, set_deployment_record),
    RecordRoute("/monitoring-plan", "PUT", MonitoringPlan, set_monitoring_plan),
    RecordRoute("/decommission-plan", "PUT", DecommissionPlan, set_decommission_plan),
    RecordRoute("/datasets", "POST", DatasetVersion, add_dataset_version, 201),
    RecordRoute("/experiments", "POST", ExperimentRef, add_experiment, 201),
)
VERSION_RECORDS = (
    RecordRoute("/validation-report", "PUT", ValidationReport, set_validation_report),
    RecordRoute("/llm-links", "PUT", LlmLinks, set_llm_links),
)


def _model_handler(route: RecordRoute) -> Handler:
    async def handler(request: Request, name: str) -> Response:
        actor = await actor_of(request)
        record = await body_as(request, route.schema)
        return json_response(await in_session(request, lambda s: route.setter(s, actor, name, record)), route.status)

    return handler


def _version_handler(route: RecordRoute) -> Handler:
    async def handler(request: Request, name: str, version: str) -> Response:
        actor = await actor_of(request)
        record = await body_as(request, route.schema)
        out = await in_session(request, lambda s: route.setter(s, actor, name, version, record))
        return json_response(out, route.status)

    return handler


for _route in MODEL_RECORDS:
    router.add_api_route(MODEL + _route.path, _model_handler(_route), methods=[_route.method],
                         name=f"record{_route.path}", openapi_extra=body_schema(_route.schema))
for _route in VERSION_RECORDS:
    router.add_api_route(MODEL + "/versions/{version}" + _route.path, _version_handler(_route),
                         methods=[_route.method], name=f"version{_route.path}",
                         openapi_extra=body_schema(_route.schema))


@router.get(MODEL + "/datasets")
async def datasets_list(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    return json_response({"data": await in_session(request, lambda s: list_dataset_versions(s, actor, name))})


DATASET = MODEL + "/datasets/{dataset}/{dataset_version}"


@router.put(DATASET, openapi_extra=body_schema(DatasetVersion))
async def dataset_amend(request: Request, name: str, dataset: str, dataset_version: str) -> Response:
    """Replace a recorded dataset version (e.g. add its data card); the trail keeps the record before and after."""
    actor = await actor_of(request)
    record = await body_as(request, DatasetVersion)
    if (record.name, record.version) != (dataset, dataset_version):
        raise BadRequest(
            f"body names dataset {record.name!r} version {record.version!r}, the path {dataset!r} {dataset_version!r}",
            param="name",
        )
    return json_response(await in_session(request, lambda s: amend_dataset_version(s, actor, name, record)))


@router.delete(DATASET)
async def dataset_retire(request: Request, name: str, dataset: str, dataset_version: str) -> Response:
    """Retire a dataset version: kept for the record, no longer asked for documentation."""
    actor = await actor_of(request)
    out = await in_session(request, lambda s: retire_dataset_version(s, actor, name, dataset, dataset_version))
    return json_response(out)


@router.get(MODEL + "/experiments")
async def experiments_list(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    return json_response({"data": await in_session(request, lambda s: list_experiments(s, actor, name))})


@router.get(MODEL + "/card")
async def card_get(request: Request, name: str, format: str = "json") -> Response:
    """The model card with its risk section from the registry's classification; `?format=markdown` renders it."""
    if format not in ("json", "markdown"):
        raise BadRequest(f"invalid value for 'format': {format!r} (json or markdown)", param="format")
    actor = await actor_of(request)
    card = await in_session(request, lambda s: get_model_card(s, actor, name))
    if card is None:
        raise NotFound(f"model {name!r} has no model card", code="not_found")
    if format == "markdown":
        return Response(render_markdown(card), media_type="text/markdown; charset=utf-8")
    return json_response(card)


@router.get(MODEL + "/card/check")
async def card_check(request: Request, name: str) -> Response:
    """Which card sections the model's tier still needs (an unclassified model is held to tier 1)."""
    actor = await actor_of(request)

    def check(session: Any) -> dict[str, object]:
        row = readable_model(session, actor, name)
        result = check_card(card_with_classification(row), effective_policy(row, DEFAULT_POLICY).model_card)
        return {"requirement": result.requirement, "missing": result.missing, "ok": result.ok}

    return json_response(await in_session(request, check))
