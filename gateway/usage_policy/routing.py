"""Which deployments may take a request's data class: every deployment the gateway serves whose ceiling is at
least the class (the primary model's group and its fallbacks alike)."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.providers.base import Deployment
from gateway.usage_policy.config import UsagePolicyConfig


def permitted(config: UsagePolicyConfig, deployments: Sequence[Deployment], data_class: str) -> frozenset[str]:
    rank = config.rank(data_class)
    return frozenset(d.id for d in deployments if config.rank(config.ceiling(d.id, d.model_name)) >= rank)


def refusal(config: UsagePolicyConfig, group: Sequence[Deployment], data_class: str) -> str:
    names = ", ".join(f"{d.id!r} (up to {config.ceiling(d.id, d.model_name)!r})" for d in group)
    return f"data class {data_class!r} may not be sent to deployment {names}"
