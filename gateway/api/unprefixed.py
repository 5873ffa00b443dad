"""Every OpenAI-style route also without the `/v1` prefix, as LiteLLM serves them, for clients configured with
the gateway's bare address as their base URL. Same handlers, so the same checks; left out of the OpenAPI document
(it describes each operation once)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute

PREFIX = "/v1"


def without_prefix(*routers: APIRouter) -> APIRouter:
    mirror = APIRouter(include_in_schema=False)
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path.startswith(PREFIX + "/"):
                mirror.add_api_route(route.path.removeprefix(PREFIX), route.endpoint, methods=sorted(route.methods),
                                     name=f"{route.name}_unprefixed", response_class=route.response_class)
    return mirror
