"""Deployment strategies between registered versions: canary, blue-green and shadow, one plan per model.

`RolloutPlan.choose` is deterministic: a request key hashes to a bucket in 0..9999, so the same key always gets
the same answer and tests can count the split exactly.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session

from registry.governance.access import find_version, readable_model, record_change, writable_model
from registry.governance.errors import Conflict, NotFound
from registry.governance.tables import GovModel, GovRollout
from registry.governance.types import Actor, VersionStatus, stamp
from registry.governance.versions import set_alias

Strategy = Literal["canary", "blue_green", "shadow"]
BUCKETS = 10_000

# The candidate of each strategy serves real traffic (canary, blue-green) or only sees copies of it (shadow).
CANDIDATE_STATUSES: dict[Strategy, tuple[VersionStatus, ...]] = {
    "canary": ("production",),
    "blue_green": ("production", "staging"),
    "shadow": ("production", "staging", "development"),
}


class RolloutPlan(BaseModel):
    """`stable` serves by default. canary: `percent` of keys go to `candidate`; shadow: `percent` of requests are
    mirrored to `candidate` (its answers are discarded); blue_green: `stable` is live, `candidate` idle."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: Strategy
    stable: str
    candidate: str | None = None
    percent: float = Field(default=0.0, ge=0, le=100)
    alias: str = "champion"
    seed: str = ""

    @model_validator(mode="after")
    def _check(self) -> RolloutPlan:
        if self.candidate is None and self.strategy != "blue_green":
            raise ValueError(f"strategy {self.strategy!r} needs a candidate version")
        if self.candidate == self.stable:
            raise ValueError(f"candidate and stable are the same version {self.stable!r}")
        return self

    def bucket(self, request_key: str) -> int:
        digest = hashlib.sha256(f"{self.seed}\x00{request_key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % BUCKETS

    def choose(self, request_key: str) -> tuple[str, str | None]:
        """(served version, version to mirror the request to or None)."""
        if self.strategy == "blue_green" or self.candidate is None:
            return self.stable, None
        hit = self.bucket(request_key) < round(self.percent * BUCKETS / 100)
        if self.strategy == "canary":
            return (self.candidate if hit else self.stable), None
        return self.stable, (self.candidate if hit else None)


def routing_to(session: Session, model_id: int | None, version: str | None = None) -> list[str]:
    """How the model's rollout plan still sends traffic to `version` (any version when None); empty when it does not.

    The gateway picks deployments by plan, so a version the plan names cannot be retired or archived under it."""
    row = session.get(GovRollout, model_id)
    if row is None:
        return []
    plan = RolloutPlan.model_validate(row.plan)
    share = 100 - plan.percent if plan.strategy == "canary" else 100.0
    found = [(plan.stable, f"rollout plan: {plan.strategy} stable {plan.stable!r} ({share:g}% of traffic)")]
    if plan.candidate is not None:
        role = "idle version" if plan.strategy == "blue_green" else f"candidate ({plan.percent:g}% of traffic)"
        found.append((plan.candidate, f"rollout plan: {plan.strategy} {role} {plan.candidate!r}"))
    return [text for target, text in found if version is None or target == version]


def set_rollout(
    session: Session, actor: Actor, name: str, plan: RolloutPlan, now: datetime | None = None
) -> RolloutPlan:
    """Store the plan after checking both versions exist and may take the traffic the strategy gives them."""
    model = writable_model(session, actor, name)
    plan = _store(session, actor, model, plan.model_copy(update={"seed": plan.seed or name}), now)
    if plan.strategy == "blue_green":
        set_alias(session, actor, name, plan.alias, plan.stable, now)
    return plan


def follow_alias(
    session: Session, actor: Actor, model: GovModel, alias: str, version: str, now: datetime | None = None
) -> None:
    """A blue-green plan serves through its alias: moving that alias to `version` by hand makes `version` the
    live version and the one it replaces idle, in the alias move's transaction. The gateway routes by plan, so
    without this every replica would keep serving the old version however long ago the alias moved."""
    row = session.get(GovRollout, model.id)
    if row is None:
        return
    plan = RolloutPlan.model_validate(row.plan)
    if plan.strategy != "blue_green" or plan.alias != alias or plan.stable == version:
        return
    idle = plan.stable if find_version(session, model, plan.stable).status in CANDIDATE_STATUSES["blue_green"] else None
    _store(session, actor, model, plan.model_copy(update={"stable": version, "candidate": idle}), now)


def _store(session: Session, actor: Actor, model: GovModel, plan: RolloutPlan, now: datetime | None) -> RolloutPlan:
    name = model.name
    stable = find_version(session, model, plan.stable)
    if stable.status != "production":
        raise Conflict(f"stable version {plan.stable!r} of {name!r} is {stable.status!r}, not 'production'")
    if plan.candidate is not None:
        candidate = find_version(session, model, plan.candidate)
        if candidate.status not in CANDIDATE_STATUSES[plan.strategy]:
            allowed = CANDIDATE_STATUSES[plan.strategy]
            raise Conflict(
                f"{plan.strategy} candidate {plan.candidate!r} is {candidate.status!r}; needs one of {allowed!r}"
            )
    row = session.get(GovRollout, model.id) or GovRollout(model_id=model.id, plan={})
    before, row.plan, row.updated_at = row.plan or None, plan.model_dump(mode="json"), stamp(now)
    session.add(row)
    record_change(
        session, actor, model, "rollout.set", subject=f"model:{name}/rollout", before=before, after=row.plan, at=now
    )
    return plan


def get_rollout(session: Session, actor: Actor, name: str) -> RolloutPlan | None:
    model = readable_model(session, actor, name)
    row = session.get(GovRollout, model.id)
    return None if row is None else RolloutPlan.model_validate(row.plan)


def clear_rollout(session: Session, actor: Actor, name: str, now: datetime | None = None) -> None:
    model = writable_model(session, actor, name)
    row = session.get(GovRollout, model.id)
    if row is None:
        raise NotFound(f"model {name!r} has no rollout plan")
    before = row.plan
    session.delete(row)
    record_change(session, actor, model, "rollout.clear", subject=f"model:{name}/rollout", before=before, at=now)


def switch_blue_green(session: Session, actor: Actor, name: str, now: datetime | None = None) -> RolloutPlan:
    """Swap live and idle in one transaction: the alias and the plan move together or not at all."""
    plan = get_rollout(session, actor, name)
    if plan is None or plan.strategy != "blue_green" or plan.candidate is None:
        raise Conflict(f"model {name!r} has no blue-green plan with an idle version to switch to")
    swapped = plan.model_copy(update={"stable": plan.candidate, "candidate": plan.stable})
    return set_rollout(session, actor, name, swapped, now)
