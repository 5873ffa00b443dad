"""Tag-based routing as LiteLLM does it: a request's `tags` (or `metadata.tags`) pick the deployments carrying all of
them (`litellm_params.tags`); an untagged request goes to the deployments tagged `default` when there are any."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.errors import BadRequest
from gateway.providers.base import Deployment

DEFAULT_TAG = "default"
MAX_TAGS = 32


def request_tags(payload: dict[str, Any]) -> tuple[frozenset[str], dict[str, Any]]:
    """The request's tags, and the payload without them (tags are routing, not something to send upstream)."""
    tags: set[str] = set()
    body = dict(payload)
    if "tags" in body:
        tags |= _parse(body.pop("tags"), "tags")
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and "tags" in metadata:
        tags |= _parse(metadata["tags"], "metadata.tags")
        rest = {k: v for k, v in metadata.items() if k != "tags"}
        if rest:
            body["metadata"] = rest
        else:
            body.pop("metadata")
    return frozenset(tags), body


def matching(group: Sequence[Deployment], tags: frozenset[str]) -> list[Deployment]:
    """The deployments of `group` this request may use."""
    if tags:
        return [d for d in group if tags <= set(d.tags)]
    defaults = [d for d in group if DEFAULT_TAG in d.tags]
    return defaults or list(group)


def no_match(model: str, tags: frozenset[str]) -> BadRequest:
    return BadRequest(f"no deployment of model {model!r} carries the tags {sorted(tags)!r}", param="tags",
                      code="no_deployment_for_tags")


def _parse(value: Any, param: str) -> set[str]:
    if isinstance(value, str):  # OpenAI's metadata values are strings: "a,b" is the flat spelling of ["a", "b"]
        value = [part.strip() for part in value.split(",") if part.strip()]
    if (not isinstance(value, list) or len(value) > MAX_TAGS
            or not all(isinstance(t, str) and 0 < len(t) <= 128 for t in value)):
        raise BadRequest(f"invalid value for {param!r}: expected a list of at most {MAX_TAGS} non-empty strings, "
                         f"got {value!r:.200}", param=param)
    return set(value)
