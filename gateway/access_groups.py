"""LiteLLM's access groups: a deployment's `model_info.access_groups` names groups its model belongs to, and a key's
or team's `models` list may name a group to grant every model in it. Groups are expanded to model names before the
key's and the team's lists are intersected, so a key granted a group and a team granted a model of it agree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gateway.config import GatewayConfig

AccessGroups = Mapping[str, frozenset[str]]
"""Group name -> the model names in it."""


def access_groups(config: GatewayConfig) -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for entry in config.model_list:
        for group in entry.model_info.access_groups:
            groups.setdefault(group, set()).add(entry.model_name)
    return {name: frozenset(models) for name, models in groups.items()}


def expand(models: Iterable[str] | None, groups: AccessGroups) -> list[str] | None:
    """A `models` list with each group name replaced by its models (None, every model, stays None)."""
    if models is None:
        return None
    out: list[str] = []
    for name in models:
        out.extend(sorted(groups[name]) if name in groups else [name])
    return out
