"""Which use case a request carries, and whether it may run: forbidden is refused, conditional runs only with
its conditions in force, unknown follows the policy's default."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from typing import Literal

from gateway.errors import PermissionDenied
from gateway.usage_policy.config import UsagePolicyConfig
from gateway.usage_policy.decision import PolicyDecision
from gateway.usage_policy.engine import UseCaseIndex, UseCaseView

USE_CASE_FIELD = "use_case"


@dataclass(frozen=True, slots=True)
class Carried:
    name: str
    source: Literal["key", "prompt", "metadata"]


def carried(index: UseCaseIndex, key_id: str | None, prompt: str | None, metadata: str | None) -> Carried | None:
    """The key's binding first, then the stored prompt's, then what the request's metadata names."""
    if key_id is not None and key_id in index.by_key:
        return Carried(index.by_key[key_id], "key")
    if prompt is not None and prompt in index.by_prompt:
        return Carried(index.by_prompt[prompt], "prompt")
    return Carried(metadata, "metadata") if metadata else None


def enforce(config: UsagePolicyConfig, index: UseCaseIndex, decision: PolicyDecision, use_case: Carried | None,
            *, model: str, guardrails: Set[str]) -> UseCaseView | None:
    """Raises 403 for a request its use case may not make; returns the use case it runs under."""
    if use_case is None:
        return None
    decision.use_case, decision.use_case_from = use_case.name, use_case.source
    view = index.by_name.get(use_case.name)
    if view is None:
        if config.unknown_use_case == "refuse":
            raise PermissionDenied(f"use case {use_case.name!r} is not in the registry's use cases",
                                   param=f"metadata.{USE_CASE_FIELD}", code="use_case_unknown")
        decision.note("flag", f"unknown_use_case:{use_case.name}")
        return None
    if view.status == "forbidden":
        raise PermissionDenied(f"use case {view.name!r} is forbidden", param=f"metadata.{USE_CASE_FIELD}",
                               code="use_case_forbidden")
    _conditions(config, view, decision, model, guardrails)
    decision.review = view.conditions.human_review
    return view


def _conditions(config: UsagePolicyConfig, view: UseCaseView, decision: PolicyDecision, model: str,
                guardrails: Set[str]) -> None:
    conditions = view.conditions
    missing = [g for g in conditions.required_guardrails if g not in guardrails]
    if missing:
        raise PermissionDenied(f"use case {view.name!r} is {view.status} on guardrails {missing} that this "
                               "request's guardrail policy does not run", code="use_case_conditions_unmet")
    if conditions.allowed_models is not None and model not in conditions.allowed_models:
        raise PermissionDenied(f"use case {view.name!r} may not use model {model!r} (allowed: "
                               f"{conditions.allowed_models})", param="model", code="use_case_conditions_unmet")
    ceiling = conditions.max_data_class
    if ceiling is not None and ceiling in config.data_classes and config.rank(decision.data_class) > config.rank(ceiling):
        raise PermissionDenied(f"use case {view.name!r} may take data up to {ceiling!r}; this request is "
                               f"{decision.data_class!r}", code="use_case_conditions_unmet")
