"""An annotated YAML template of a deliverable's schema (`warden models schema KIND`): every field with a comment
saying its type, whether it is required and what it accepts, filled with a placeholder that validates.

The template is derived from the record's own JSON schema, so it never falls behind the model it describes.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

Node = dict[str, Any]
_FORMATS = {"date": "2030-01-31", "date-time": "2030-01-31T12:00:00Z", "uri": "https://example.org/x"}


def template(model: type[BaseModel]) -> str:
    schema = model.model_json_schema()
    doc = (model.__doc__ or "").strip().splitlines()
    lines = [f"# {model.__name__}" + (f": {doc[0]}" if doc else ""), "# Fields marked 'optional' may be left out."]
    lines += _fields(schema, schema.get("$defs", {}), 0)
    return "\n".join(lines) + "\n"


def _fields(schema: Node, defs: Node, indent: int) -> list[str]:
    required = set(schema.get("required", []))
    lines: list[str] = []
    for name, prop in schema.get("properties", {}).items():
        lines += _field(name, prop, defs, indent, name in required)
    return lines


def _field(name: str, prop: Node, defs: Node, indent: int, required: bool) -> list[str]:
    node, nullable = _unwrap(prop, defs)
    pad = " " * indent
    comment = f"{pad}# {_describe(prop, node, defs, nullable, required)}"
    kind = node.get("type")
    if kind == "object" and "properties" in node:
        return [comment, f"{pad}{name}:", *_fields(node, defs, indent + 2)]
    if kind == "array":
        item, _ = _unwrap(node.get("items", {}), defs)
        if item.get("type") == "object" and "properties" in item:
            children = _fields(item, defs, indent + 4)
            first = next(i for i, line in enumerate(children) if not line.lstrip().startswith("#"))
            children[first] = f"{pad}  - {children[first].lstrip()}"
            return [comment, f"{pad}{name}:", *children]
        return [comment, f"{pad}{name}:", f"{pad}  - {_scalar(item)}"]
    if kind == "object":
        return [comment, f"{pad}{name}: {{}}"]
    value = "null" if nullable and not required and "default" in prop and prop["default"] is None else _scalar(node)
    return [comment, f"{pad}{name}: {value}"]


def _unwrap(prop: Node, defs: Node) -> tuple[Node, bool]:
    """The schema behind a `$ref` or an `X | None` union, and whether null is allowed."""
    options = prop.get("anyOf")
    nullable = False
    if options:
        concrete = [o for o in options if o.get("type") != "null"]
        nullable = len(concrete) < len(options)
        prop = {**concrete[0], **{k: v for k, v in prop.items() if k not in ("anyOf", "default")}}
    if "$ref" in prop:
        prop = {**defs[prop["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in prop.items() if k != "$ref"}}
    return prop, nullable


def _describe(prop: Node, node: Node, defs: Node, nullable: bool, required: bool) -> str:
    kind = node.get("type", "object")
    if kind == "array":
        item, _ = _unwrap(node.get("items", {}), defs)
        kind = f"list of {item.get('type', 'objects')}"
    parts = [kind + (f" ({node['format']})" if "format" in node else "")]
    if "enum" in node:
        parts.append("one of: " + ", ".join(str(v) for v in node["enum"]))
    bounds = [(k, node[k]) for k in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum") if k in node]
    parts += [f"{k} {v}" for k, v in bounds]
    if node.get("minItems"):
        parts.append(f"at least {node['minItems']}")
    if "pattern" in node:
        parts.append(f"pattern {node['pattern']}")
    parts.append("required" if required else f"optional, default {json.dumps(prop.get('default'))}")
    if nullable:
        parts.append("may be null")
    text = "; ".join(parts)
    # A description may span lines (class docstrings do): a comment must stay on one.
    return f"{' '.join(node['description'].split())} ({text})" if "description" in node else text


def _scalar(node: Node) -> str:
    if "enum" in node:
        return json.dumps(node["enum"][0])
    kind = node.get("type")
    if kind == "boolean":
        return "false"
    if kind in ("integer", "number"):
        low = node.get("minimum", node.get("exclusiveMinimum", -1) + 1)
        high = node.get("maximum", node.get("exclusiveMaximum", low + 2) - 1)
        value = min(max(low, 0), high)
        return str(int(value) if kind == "integer" else float(value))
    if "format" in node and node["format"] in _FORMATS:
        return json.dumps(_FORMATS[node["format"]])
    if node.get("pattern") == r"^[0-9a-f]{64}$":
        return json.dumps("0" * 64)
    if node.get("pattern") == r"^[0-9a-f]{7,40}$":
        return json.dumps("0000000")
    return json.dumps("TODO")
