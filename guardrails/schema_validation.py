"""JSON Schema validation of client-given schemas, made safe: no retrieval, bounded size, bounded time.

A `response_format` schema is the client's. jsonschema, left to itself, fetches what a `$ref` names (`http://`,
and `file://` through urllib), and a small schema can still ask for exponential work or a catastrophic regex.
So: the only references that resolve are in-document ones (`#/...`, `$defs`, anchors, embedded `$id`s, the
bundled meta-schemas); every other URI is refused by the registry's retrieve function before any I/O; a schema
is bounded in size and depth; every keyword checks a deadline, and `pattern`s run on the `regex` engine with a
timeout, so a validation ends within its budget wherever it is.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import regex
from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import SchemaRegistry

MAX_SCHEMA_BYTES = 64 * 1024
MAX_SCHEMA_DEPTH = 32
REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")


class SchemaRefused(ValueError):
    """A schema Warden will not validate with: remote reference, too large, too deep, or invalid."""


class ValidationExpired(TimeoutError):
    """Validation ran past its deadline (a schema asking for too much work)."""


def _refuse(uri: str) -> Resource[Any]:
    # Never fetch: not http(s), not file, not anything. In-document references never reach this function.
    raise NoSuchResource(ref=uri)


@lru_cache(maxsize=1)
def _registry() -> SchemaRegistry:
    from jsonschema_specifications import REGISTRY as SPECIFICATIONS

    return Registry(retrieve=_refuse).with_resources(  # type: ignore[call-arg]
        (uri, SPECIFICATIONS[uri]) for uri in SPECIFICATIONS
    ).crawl()


_deadline = threading.local()


def schema_problem(schema: object) -> str | None:
    """Why a client schema is refused (size, depth, a reference outside the document), or None."""
    try:
        size = len(json.dumps(schema, separators=(",", ":")))
    except (TypeError, ValueError, RecursionError):
        return "the schema is not plain JSON"
    if size > MAX_SCHEMA_BYTES:
        return f"the schema has {size} bytes; the limit is {MAX_SCHEMA_BYTES}"
    for depth, key, value in _walk(schema, 1):
        if depth > MAX_SCHEMA_DEPTH:
            return f"the schema nests deeper than {MAX_SCHEMA_DEPTH} levels"
        if key in REF_KEYWORDS and not (isinstance(value, str) and value.startswith("#")):
            return f"{key} {str(value)[:100]!r} is not in the document: only references starting with '#' resolve"
    return None


def _walk(node: object, depth: int) -> Iterator[tuple[int, str | None, object]]:
    if depth > MAX_SCHEMA_DEPTH:
        yield depth, None, node
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield depth, key, value
            yield from _walk(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, depth + 1)


def check_schema(schema: dict[str, Any]) -> None:
    """Raises SchemaRefused when `schema` is too big, too deep or not a valid 2020-12 schema."""
    problem = schema_problem(schema)
    if problem is not None:
        raise SchemaRefused(problem)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise SchemaRefused(f"invalid JSON schema: {exc.message[:300]}") from None


def _timed(keyword: Callable[..., Iterator[ValidationError]]) -> Callable[..., Iterator[ValidationError]]:
    def checked(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if time.monotonic() > getattr(_deadline, "at", float("inf")):
            raise ValidationExpired("JSON schema validation ran past its time budget")
        yield from keyword(validator, value, instance, schema)
    return checked


def _search(pattern: str, text: str) -> bool:
    left = max(0.001, getattr(_deadline, "at", time.monotonic() + 1.0) - time.monotonic())
    try:
        return regex.search(pattern, text, timeout=left) is not None
    except TimeoutError:
        raise ValidationExpired("a schema pattern ran past its time budget") from None
    except regex.error as exc:
        raise SchemaRefused(f"invalid pattern {pattern[:80]!r}: {exc}") from None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any,
                        schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


_KEYWORDS = {**Draft202012Validator.VALIDATORS, "pattern": _pattern, "patternProperties": _pattern_properties}
SafeValidator = validators.extend(Draft202012Validator, {k: _timed(v) for k, v in _KEYWORDS.items()})


def schema_errors(schema: dict[str, Any], document: Any, seconds: float) -> list[ValidationError]:
    """Every error of `document` against `schema`, within `seconds` (ValidationExpired past it). Blocking: run
    it in a thread. An unresolvable reference raises SchemaRefused."""
    _deadline.at = time.monotonic() + seconds
    try:
        return list(SafeValidator(schema, registry=_registry()).iter_errors(document))
    except Unresolvable as exc:
        raise SchemaRefused(f"the schema's reference {str(exc)[:120]!r} does not resolve in the document") from None
    except RecursionError:
        raise SchemaRefused("the schema's references loop") from None
    finally:
        _deadline.at = float("inf")
