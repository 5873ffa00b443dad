"""OpenAPI descriptions of the JSON bodies that routes read themselves (to keep their own limits and error
messages), so that clients, docs and the schema fuzzer see what each route takes."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

_MAX_DEPTH = 12


def body_schema(kind: Any, *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` for a route whose body validates as `kind` (a pydantic model or any type). The
    schema is self-contained: `$defs` are inlined, since a `$ref` inside an operation resolves against
    the whole document; a recursive type is cut to "any JSON" below `_MAX_DEPTH` levels."""
    schema = TypeAdapter(kind).json_schema(mode="validation")
    defs = schema.pop("$defs", {})
    body = {"content": {"application/json": {"schema": _inline(schema, defs, 0)}}, "required": required}
    return {"requestBody": body}


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
