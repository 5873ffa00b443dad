"""The published OpenAPI document describes what every registry write takes: each POST/PUT/PATCH route under
/registry (and /admin/keys) documents its request body, JSON bodies with an example that validates; the few action
routes that read no body are listed here, and the document must agree that they have none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.cli.models_ops import SCHEMAS
from tests.gateway.test_registry_api_support import registry_api

WRITES = {"post", "put", "patch"}
BODILESS = {
    ("post", "/registry/models/{name}/decommission/migration-check"),
    ("post", "/registry/models/{name}/decommission/cleanup"),
    ("post", "/registry/models/{name}/monitoring/run"),
    ("post", "/registry/models/{name}/rollout/switch"),
    ("post", "/registry/rag/reindex-tasks/{task_id}/done"),
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp: Path = tmp_path_factory.mktemp("openapi")
    with registry_api(f"sqlite:///{tmp / 'gw.db'}", tmp) as api:
        return api.http.get("/openapi.json").json()  # type: ignore[no-any-return]


def _writes(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, item in document["paths"].items()
            if path.startswith(("/registry/", "/admin/keys")) for method, operation in item.items()
            if method in WRITES]


def test_every_registry_write_documents_its_body(document: dict[str, Any]) -> None:
    writes = _writes(document)
    assert len(writes) > 30
    undocumented = [(m, p) for m, p, op in writes if "requestBody" not in op and (m, p) not in BODILESS]
    assert undocumented == []
    assert [(m, p) for m, p, op in writes if (m, p) in BODILESS and "requestBody" in op] == []
    assert BODILESS <= {(m, p) for m, p, _ in writes}  # the list names routes that exist


def test_json_bodies_carry_an_example(document: dict[str, Any]) -> None:
    missing = [(m, p) for m, p, op in _writes(document) if "application/json" in op.get("requestBody", {})
               .get("content", {}) and "example" not in op["requestBody"]["content"]["application/json"]]
    assert missing == []
    validate = document["paths"]["/registry/models/{name}/versions/{version}/validate"]["post"]["requestBody"]
    assert {"text/csv", "application/x-ndjson", "application/vnd.apache.parquet"} <= set(validate["content"])
    patch_key = document["paths"]["/admin/keys/{key_id}"]["patch"]["requestBody"]["content"]["application/json"]
    assert "person" in patch_key["schema"]["properties"]


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_each_deliverable_example_validates(kind: str) -> None:
    from gateway.api.openapi_bodies import body_schema

    model = SCHEMAS[kind]
    example = body_schema(model)["requestBody"]["content"]["application/json"]["example"]
    model.model_validate(example)


def test_monitoring_examples_validate() -> None:
    from pydantic import TypeAdapter

    from gateway.api import registry_monitoring as routes

    TypeAdapter(routes.PredictionsBody).validate_python(routes.PREDICTIONS_EXAMPLE)
    TypeAdapter(routes.GroundTruthBody).validate_python(routes.GROUND_TRUTH_EXAMPLE)
