"""Rollout plans: deterministic canary/shadow splits, atomic blue-green switches, and version checks."""

from __future__ import annotations

from collections import Counter

import pytest
from gov_helpers import ALICE, CRITERIA, T0
from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.governance import (
    Conflict,
    ModelIn,
    RolloutPlan,
    VersionIn,
    classification,
    inventory,
    rollout,
    serving,
    versions,
)
from registry.governance.access import find_model, find_version

KEYS = [f"req-{i}" for i in range(20_000)]


@pytest.mark.parametrize("percent", [0.0, 1.0, 10.0, 25.0, 50.0, 90.0, 100.0])
def test_canary_split_matches_percent(percent: float) -> None:
    plan = RolloutPlan(strategy="canary", stable="1.0", candidate="2.0", percent=percent, seed="m")
    counts = Counter(plan.choose(k)[0] for k in KEYS)
    assert abs(counts["2.0"] / len(KEYS) * 100 - percent) < 1.0
    assert all(plan.choose(k)[1] is None for k in KEYS[:100])
    assert [plan.choose(k) for k in KEYS[:50]] == [plan.choose(k) for k in KEYS[:50]]  # deterministic


@pytest.mark.parametrize("percent", [5.0, 30.0, 100.0])
def test_shadow_mirrors_a_share_and_always_serves_stable(percent: float) -> None:
    plan = RolloutPlan(strategy="shadow", stable="1.0", candidate="2.0", percent=percent, seed="m")
    choices = [plan.choose(k) for k in KEYS]
    assert {served for served, _ in choices} == {"1.0"}
    mirrored = sum(1 for _, shadow in choices if shadow == "2.0")
    assert abs(mirrored / len(KEYS) * 100 - percent) < 1.0


def test_seed_changes_which_keys_hit() -> None:
    a = RolloutPlan(strategy="canary", stable="1", candidate="2", percent=50, seed="a")
    b = a.model_copy(update={"seed": "b"})
    assert [a.choose(k) for k in KEYS[:200]] != [b.choose(k) for k in KEYS[:200]]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"strategy": "canary", "stable": "1"},
        {"strategy": "shadow", "stable": "1", "candidate": "1"},
        {"strategy": "canary", "stable": "1", "candidate": "2", "percent": 101},
    ],
)
def test_invalid_plans_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RolloutPlan.model_validate(kwargs)


def _two_versions(engine: Engine, second_status: str) -> None:
    with session_scope(engine) as s:
        inventory.register_model(
            s, ALICE, ModelIn(name="m", kind="classical", owner="alice", team="risk", use_case="x"), T0
        )
        classification.classify_model(s, ALICE, "m", CRITERIA[4], T0)
        model = find_model(s, "m")
        for version, status in (("1.0", "production"), ("2.0", second_status)):
            versions.register_version(s, ALICE, "m", VersionIn(version=version), T0)
            row = find_version(s, model, version)
            row.status = status  # the promotion gates are tested elsewhere
            s.add(row)


def test_blue_green_switch_moves_alias_and_plan_together(engine: Engine) -> None:
    _two_versions(engine, "production")
    with session_scope(engine) as s:
        rollout.set_rollout(s, ALICE, "m", RolloutPlan(strategy="blue_green", stable="1.0", candidate="2.0"))
        assert serving.check_servable(s, "m", "champion").version == "1.0"
    with session_scope(engine) as s:
        plan = rollout.switch_blue_green(s, ALICE, "m")
    assert plan.stable == "2.0" and plan.choose("any") == ("2.0", None)
    with session_scope(engine) as s:
        assert serving.check_servable(s, "m", None).version == "2.0"
        assert versions.get_version(s, ALICE, "m", "champion").version == "2.0"
        stored = rollout.get_rollout(s, ALICE, "m")
    assert stored is not None and stored.stable == "2.0" and stored.seed == "m"


def test_moving_a_blue_green_alias_by_hand_moves_the_plan(engine: Engine) -> None:
    _two_versions(engine, "production")
    with session_scope(engine) as s:
        rollout.set_rollout(s, ALICE, "m", RolloutPlan(strategy="blue_green", stable="1.0", candidate="2.0"))
    with session_scope(engine) as s:
        versions.set_alias(s, ALICE, "m", "champion", "2.0")
    with session_scope(engine) as s:
        plan = rollout.get_rollout(s, ALICE, "m")
        assert plan is not None and (plan.stable, plan.candidate) == ("2.0", "1.0")
        versions.set_alias(s, ALICE, "m", "production", "1.0")  # not the alias the plan serves through
    with session_scope(engine) as s:
        plan = rollout.get_rollout(s, ALICE, "m")
    assert plan is not None and plan.choose("any") == ("2.0", None)


def test_a_blue_green_alias_cannot_move_to_a_version_not_in_production(engine: Engine) -> None:
    _two_versions(engine, "staging")
    with session_scope(engine) as s:
        rollout.set_rollout(s, ALICE, "m", RolloutPlan(strategy="blue_green", stable="1.0", candidate="2.0"))
    with pytest.raises(Conflict, match="not 'production'"), session_scope(engine) as s:
        versions.set_alias(s, ALICE, "m", "champion", "2.0")
    with session_scope(engine) as s:
        assert versions.get_version(s, ALICE, "m", "champion").version == "1.0"

@pytest.mark.parametrize(
    ("strategy", "status", "allowed"),
    [
        ("canary", "staging", False),
        ("canary", "production", True),
        ("shadow", "development", True),
        ("shadow", "archived", False),
    ],
)
def test_candidate_status_checked(engine: Engine, strategy: str, status: str, allowed: bool) -> None:
    _two_versions(engine, status)
    plan = RolloutPlan(strategy=strategy, stable="1.0", candidate="2.0", percent=10)  # type: ignore[arg-type]
    with session_scope(engine) as s:
        if allowed:
            assert rollout.set_rollout(s, ALICE, "m", plan).candidate == "2.0"
        else:
            with pytest.raises(Conflict):
                rollout.set_rollout(s, ALICE, "m", plan)
