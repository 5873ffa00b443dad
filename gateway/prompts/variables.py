"""Checking caller-supplied variable values against their declarations, and assembling the render context."""

from __future__ import annotations

import math
from collections.abc import Mapping

from gateway.prompts.errors import PromptVariableError
from gateway.prompts.spec import PromptSpec, VariableSpec, VariableType

MAX_DEPTH = 16


def build_context(
    spec: PromptSpec, variables: Mapping[str, object], gateway_vars: Mapping[str, object]
) -> tuple[dict[str, object], dict[str, object]]:
    """Validate `variables` (from the caller) and `gateway_vars` (trusted); return (trusted, caller) contexts.

    Trusted values (store defaults and gateway variables) may fill any message; caller values only `user` ones.
    Raises `PromptVariableError` naming the variable on any missing, undeclared, mistyped or forbidden value.
    """
    for name in variables:
        declared = spec.variables.get(name)
        if declared is None:
            raise PromptVariableError(name, f"variable {name!r} is not declared by prompt {spec.name!r}")
        if declared.source != "caller":
            raise PromptVariableError(name, f"variable {name!r} is set by the {declared.source}, not by the caller")
    trusted: dict[str, object] = {}
    caller: dict[str, object] = {}
    for name, declared in spec.variables.items():
        supplied = gateway_vars if declared.source == "gateway" else variables
        if declared.source != "store" and name in supplied:
            value = supplied[name]
            check_value(name, declared, value)
        elif declared.has_default:
            value = declared.default
        elif declared.is_required:
            raise PromptVariableError(name, f"variable {name!r} is required by prompt {spec.name!r}")
        else:
            value = None
        (caller if declared.source == "caller" else trusted)[name] = value
    return trusted, caller


def check_value(name: str, declared: VariableSpec, value: object) -> None:
    """Raise `PromptVariableError` unless `value` fits the declared type, enum and length."""
    if value is None and not declared.is_required:
        return
    if not _is_type(value, declared.type):
        raise PromptVariableError(name, f"variable {name!r} must be of type {declared.type}, got {_kind(value)}")
    if declared.enum is not None and value not in declared.enum:
        raise PromptVariableError(name, f"variable {name!r} must be one of {list(declared.enum)}, got {value!r}")
    if declared.max_length is not None and len(value) > declared.max_length:  # type: ignore[arg-type]
        raise PromptVariableError(name, f"variable {name!r} is longer than {declared.max_length}")
    if isinstance(value, list) and declared.items is not None:
        for index, item in enumerate(value):
            if not _is_type(item, declared.items):
                raise PromptVariableError(
                    name, f"variable {name!r} item {index} must be of type {declared.items}, got {_kind(item)}"
                )
    if isinstance(value, (list, dict)) and not _is_json(value, 0):
        raise PromptVariableError(name, f"variable {name!r} must hold only JSON values (depth <= {MAX_DEPTH})")


def _is_type(value: object, kind: VariableType) -> bool:
    # bool is an int subclass in Python but never an integer or a number here.
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "array":
        return isinstance(value, list)
    return isinstance(value, dict)


def _is_json(value: object, depth: int) -> bool:
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, list):
        return all(_is_json(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v, depth + 1) for k, v in value.items())
    return value is None or isinstance(value, (str, int, float, bool))


def _kind(value: object) -> str:
    names = {str: "string", bool: "boolean", int: "integer", float: "number", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__) if value is not None else "null"
