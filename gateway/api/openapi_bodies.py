"""OpenAPI descriptions of the JSON bodies that routes read themselves (to keep their own limits and error
messages), so that clients, docs and the schema fuzzer see what each route takes."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter

from registry.governance.schema_template import template

_MAX_DEPTH = 12


def body_schema(kind: Any, *, required: bool = True, example: object = None) -> dict[str, Any]:
    """`openapi_extra` for a route whose body validates as `kind` (a pydantic model or any type). The
    schema is self-contained: `$defs` are inlined, since a `$ref` inside an operation resolves against
    the whole document; a recursive type is cut to "any JSON" below `_MAX_DEPTH` levels."""
    schema = TypeAdapter(kind).json_schema(mode="validation")
    defs = schema.pop("$defs", {})
    media: dict[str, Any] = {"schema": _inline(schema, defs, 0)}
    if example is not None:
        media["example"] = example
    elif isinstance(kind, type) and issubclass(kind, BaseModel):
        # The same placeholders `warden models schema KIND` prints: an example that validates.
        media["example"] = yaml.safe_load(template(kind))
    body = {"content": {"application/json": media}, "required": required}
    return {"requestBody": body}


def file_body(description: str) -> dict[str, Any]:
    """`openapi_extra` for a route that reads a data file as its raw body (its format named in `?format=`)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    content = {"text/csv": binary, "application/x-ndjson": binary, "application/vnd.apache.parquet": binary}
    return {"requestBody": {"content": content, "required": True, "description": description}}


def _inline(node: Any, defs: dict[str, Any], depth: int) -> Any:
    if isinstance(node, list):
        return [_inline(item, defs, depth) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        if depth >= _MAX_DEPTH:
            return {}
        target = _inline(defs[ref.removeprefix("#/$defs/")], defs, depth + 1)
        rest = {k: _inline(v, defs, depth) for k, v in node.items() if k != "$ref"}
        return {**target, **rest}
    return {k: _inline(v, defs, depth) for k, v in node.items()}
