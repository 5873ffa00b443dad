"""The web console under `/console`: server-rendered pages over the same queries and permission checks as the JSON
APIs, signed in with an API key. Include it with `app.include_router(console.build_router())`."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.console import (actions, admin, alerts, auth_pages, costs, drift, guardrails, models, prompts, reviews,
                             static, traffic, validation)

__all__ = ["build_router"]


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for module in (auth_pages, static, costs, traffic, guardrails, prompts, models, drift, validation, actions, alerts,
                   reviews, admin):
        router.include_router(module.router)
    return router
