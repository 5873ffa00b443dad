"""The `/registry` REST API: model inventory and governance, reviews, rollout, audit trail and monitoring.

Include it with `app.include_router(registry_routes.build_router())`. Reads are scoped to the key's team (an admin
key sees every team); writes are checked by the governance layer, which records the key as the actor.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request

from gateway.api import registry_audit, registry_models, registry_monitoring, registry_records, registry_reviews
from gateway.api import rag_sources, registry_alerts, registry_bias, registry_rollout, registry_validation
from gateway.api import registry_interpretability, registry_kpis, registry_version_cards
from gateway.api.registry_common import RegistryApiConfig

__all__ = ["RegistryApiConfig", "build_router"]


def _configure(config: RegistryApiConfig) -> Callable[[Request], None]:
    def attach(request: Request) -> None:
        request.state.registry_api = config

    return attach


def build_router(config: RegistryApiConfig | None = None) -> APIRouter:
    """Every registry route, with `config` (limits, monitoring settings) available to the handlers."""
    router = APIRouter(dependencies=[Depends(_configure(config or RegistryApiConfig()))])
    # Version cards first: `{name:path}/card` of the model's card would otherwise take `NAME/versions/V/card`.
    for module in (registry_version_cards, registry_interpretability, registry_bias, registry_records,
                   registry_rollout, registry_reviews, registry_audit, registry_monitoring, registry_validation,
                   registry_kpis, rag_sources, registry_alerts):
        router.include_router(module.router)
    router.include_router(registry_models.router)
    # Last: `/registry/models/{name:path}` would otherwise swallow every longer model path.
    router.include_router(registry_models.model_router)
    return router
