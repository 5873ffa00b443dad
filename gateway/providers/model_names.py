"""Model names beyond one group per name: LiteLLM's aliases (`model_group_alias`) and wildcards (`openai/*`).

A wildcard deployment serves every model under its prefix: `openai/*` answers `openai/gpt-4o-mini` by sending
`gpt-4o-mini` as the upstream model, to the URL and with the key of its config. The client chooses only the model
name inside the body, never where it goes, and that name must look like a model name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from gateway.config import RouterSettings
from gateway.providers.base import Deployment
from gateway.providers.pricing import PriceMap

WILDCARD = "*"
# What a model name under a wildcard may be: no spaces, no URL syntax, not too long.
_SUFFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}")


def is_wildcard(name: str) -> bool:
    return name.endswith(WILDCARD)


def aliases(settings: RouterSettings) -> dict[str, tuple[str, bool]]:
    """alias -> (model, hidden)."""
    return {alias: (target, False) if isinstance(target, str) else (target.model, target.hidden)
            for alias, target in settings.model_group_alias.items()}


def wildcard_group(groups: Mapping[str, Sequence[Deployment]], model_name: str, prices: PriceMap) -> list[Deployment]:
    """The deployments of the longest wildcard matching `model_name`, set to call that model and priced as it
    (unless the wildcard's config sets prices); [] if none."""
    pattern = wildcard_pattern(groups, model_name)
    if pattern is None:
        return []
    suffix = model_name[len(pattern) - 1:]
    return [_serving(d, model_name, suffix, prices) for d in groups[pattern]]


def wildcard_pattern(groups: Mapping[str, Sequence[Deployment]], model_name: str) -> str | None:
    """The longest wildcard serving `model_name` (a name that looks like a model name), or None."""
    if is_wildcard(model_name):
        return None
    matches = [name for name in groups if is_wildcard(name) and model_name.startswith(name[:-1])]
    if not matches:
        return None
    pattern = max(matches, key=len)
    return pattern if _SUFFIX.fullmatch(model_name[len(pattern) - 1:]) else None


def _serving(deployment: Deployment, model_name: str, suffix: str, prices: PriceMap) -> Deployment:
    upstream = deployment.upstream_model.replace(WILDCARD, suffix)
    litellm_model = deployment.litellm_model.replace(WILDCARD, suffix)
    price = deployment.prices if deployment.prices.known else prices.lookup(litellm_model, upstream)
    return replace(deployment, model_name=model_name, upstream_model=upstream, litellm_model=litellm_model,
                   prices=price)
