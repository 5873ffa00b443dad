"""Tier 1 (EU AI Act high risk): the Model Review Board needs legal and ethics votes (configurable per tier), and the
validator must be independent of the developer: whoever registered a version files neither its validation report
nor a vote on its review, under another key held by the same person either."""

from __future__ import annotations

import pytest
from gov_helpers import ADMIN, ALICE, CRITERIA, T0, VERA, actor, full_card, grant_board, spec, validation
from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.governance import (
    Actor,
    ModelIn,
    PermissionDenied,
    SubmissionIn,
    VersionIn,
    VoteIn,
    classification,
    inventory,
    review,
    versions,
)
from registry.governance.identity import key_actor
from registry.governance.policy import DEFAULT_POLICY
from registry.keys import create_key, create_team

PR = "https://git.example/pr/9"


def _tier1_version(engine: Engine, developer: object = ALICE) -> None:
    grant_board(engine)
    with session_scope(engine) as s:
        inventory.register_model(
            s, ALICE, ModelIn(name="credit", kind="classical", owner="alice", team="risk", use_case="scoring"), T0
        )
        classification.classify_model(s, ALICE, "credit", CRITERIA[1], T0)
        versions.register_version(s, developer, "credit", VersionIn(version="1", spec=spec()), T0)  # type: ignore[arg-type]


def _submit(engine: Engine) -> int:
    with session_scope(engine) as s:
        versions.set_validation_report(s, VERA, "credit", "1", validation(), T0)
        inventory.set_model_card(s, ALICE, "credit", full_card("credit"), T0)
        return review.submit_for_review(s, ALICE, "credit", SubmissionIn(version="1", code_review_url=PR), now=T0).id


def _vote(engine: Engine, who: str, rid: int, role: str) -> review.ReviewOut:
    with session_scope(engine) as s:
        return review.record_vote(s, actor(who), rid, VoteIn(role=role, approve=True), now=T0)  # type: ignore[arg-type]


def test_tier1_board_needs_legal_and_ethics_and_names_them(engine: Engine) -> None:
    assert {"legal", "ethics"} <= set(DEFAULT_POLICY.for_tier(1).validation.required_roles)
    _tier1_version(engine)
    rid = _submit(engine)
    for who, role in (("dan", "data_science_lead"), ("bob", "business_owner"), ("rita", "risk_compliance")):
        out = _vote(engine, who, rid, role)
    assert (out.stage, out.awaiting) == ("business_risk_review", ["1 approval(s) as ethics", "1 approval(s) as legal"])
    with session_scope(engine) as s:
        with pytest.raises(PermissionDenied, match="does not hold the reviewer role 'legal'.*reviewers grant"):
            review.record_vote(s, actor("rita"), rid, VoteIn(role="legal", approve=True), now=T0)
    _vote(engine, "lena", rid, "legal")
    assert _vote(engine, "eric", rid, "ethics").awaiting == ["a decision by the chair"]


def test_the_board_composition_is_configurable_per_tier(engine: Engine) -> None:
    relaxed = DEFAULT_POLICY.with_overrides(
        {1: {"validation": {"required_roles": {"chair": 1, "data_science_lead": 1, "legal": 1}}}}
    )
    _tier1_version(engine)
    rid = _submit(engine)
    with session_scope(engine) as s:
        review.record_vote(s, actor("dan"), rid, VoteIn(role="data_science_lead", approve=True), relaxed, T0)
        out = review.record_vote(s, actor("lena"), rid, VoteIn(role="legal", approve=True), relaxed, T0)
    assert out.stage == "awaiting_decision"


def test_the_developer_cannot_validate_or_vote(engine: Engine) -> None:
    dan = Actor(name="dan", teams=frozenset({"risk"}))  # a data science lead of the team, who developed version 1
    _tier1_version(engine, developer=dan)
    with session_scope(engine) as s:
        review.set_reviewer_roles(s, ADMIN, "dan", ["data_science_lead"])
        with pytest.raises(PermissionDenied, match="'dan' registered version '1' of 'credit' and cannot file its "
                                                   "validation report: tier 1 requires a validator independent"):
            versions.set_validation_report(s, dan, "credit", "1", validation(), T0)
    rid = _submit(engine)
    with session_scope(engine) as s:
        with pytest.raises(PermissionDenied, match="cannot vote as 'data_science_lead' on its review"):
            review.record_vote(s, dan, rid, VoteIn(role="data_science_lead", approve=True), now=T0)
    assert _vote(engine, "pete", rid, "peer").stage == "technical_review"  # an independent vote still counts


def test_independence_follows_the_person_across_keys(engine: Engine) -> None:
    create_team(engine, "risk", exist_ok=True)
    first, _ = create_key(engine, team="risk", person="Dana Dev")
    second, _ = create_key(engine, team="risk", person="Dana Dev")
    other, _ = create_key(engine, team="risk", person="Val Idator")
    developer = key_actor(first.id, "risk", False, "Dana Dev")
    _tier1_version(engine, developer=developer)
    with session_scope(engine) as s:
        with pytest.raises(PermissionDenied, match=r"Dana Dev \(key_\w+@risk\) registered version '1'"):
            versions.set_validation_report(s, key_actor(second.id, "risk", False, "Dana Dev"), "credit", "1",
                                           validation(), T0)
        versions.set_validation_report(s, key_actor(other.id, "risk", False, "Val Idator"), "credit", "1",
                                       validation(), T0)


def test_lower_tiers_do_not_require_independence(engine: Engine) -> None:
    grant_board(engine)
    with session_scope(engine) as s:
        inventory.register_model(
            s, ALICE, ModelIn(name="faq", kind="llm", owner="alice", team="risk", use_case="faq"), T0
        )
        classification.classify_model(s, ALICE, "faq", CRITERIA[3], T0)
        versions.register_version(s, ALICE, "faq", VersionIn(version="1", spec=spec(llm=True)), T0)
        assert versions.set_validation_report(s, ALICE, "faq", "1", validation(), T0).validation_report is not None
