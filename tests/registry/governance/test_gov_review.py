"""Review board roles and stages, team scoping of reads and writes, and the permission checks."""

from __future__ import annotations

import pytest
from gov_helpers import (
    ADMIN,
    ALICE,
    CRITERIA,
    MALLORY,
    T0,
    TIER1_VOTES,
    VERA,
    actor,
    full_card,
    grant_board,
    spec,
    validation,
)
from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.governance import (
    Conflict,
    DecisionIn,
    GateError,
    ModelIn,
    NotFound,
    PermissionDenied,
    SubmissionIn,
    VersionIn,
    VoteIn,
    classification,
    inventory,
    review,
    versions,
)

PR = "https://git.example/pr/3"


def _submitted(engine: Engine, tier: int = 1) -> int:
    grant_board(engine)
    with session_scope(engine) as s:
        inventory.register_model(
            s, ALICE, ModelIn(name="fraud", kind="classical", owner="alice", team="risk", use_case="fraud"), T0
        )
        classification.classify_model(s, ALICE, "fraud", CRITERIA[tier], T0)
        versions.register_version(s, ALICE, "fraud", VersionIn(version="1", spec=spec()), T0)
        versions.set_validation_report(s, VERA, "fraud", "1", validation(), T0)
        inventory.set_model_card(s, ALICE, "fraud", full_card("fraud"), T0)
        return review.submit_for_review(s, ALICE, "fraud", SubmissionIn(version="1", code_review_url=PR), now=T0).id


def _vote(
    engine: Engine, user: str, rid: int, role: str, approve: bool = True, comment: str | None = None
) -> review.ReviewOut:
    with session_scope(engine) as s:
        vote = VoteIn.model_validate({"role": role, "approve": approve, "comment": comment})
        return review.record_vote(s, actor(user), rid, vote, now=T0)


@pytest.mark.parametrize(
    ("user", "role", "error"),
    [
        ("bob", "business_owner", Conflict),  # business review waits for the technical review
        ("bob", "data_science_lead", PermissionDenied),  # bob is not a data science lead
        ("carol", "chair", Conflict),  # the chair decides, does not vote
        ("mallory", "data_science_lead", PermissionDenied),
        ("mallory", "owner", PermissionDenied),
    ],
)
def test_vote_refusals(engine: Engine, user: str, role: str, error: type[Exception]) -> None:
    rid = _submitted(engine)
    with pytest.raises(error):
        _vote(engine, user, rid, role)


def test_rejection_ends_review_with_feedback_and_blocks_approval(engine: Engine) -> None:
    rid = _submitted(engine)
    with pytest.raises(Conflict, match="needs a comment"):
        _vote(engine, "dan", rid, "data_science_lead", approve=False)
    out = _vote(engine, "dan", rid, "data_science_lead", approve=False, comment="leakage in feature 'days_to_default'")
    assert (out.stage, out.decision, out.feedback) == ("decided", "rejected", "leakage in feature 'days_to_default'")
    with pytest.raises(Conflict):
        _vote(engine, "bob", rid, "business_owner")
    with session_scope(engine) as s:
        with pytest.raises(Conflict, match="already decided"):
            review.decide(s, actor("carol"), rid, DecisionIn(decision="approved"))
        assert [r.decision for r in review.list_reviews(s, ALICE, "fraud")] == ["rejected"]
        # a new submission may follow the rejection
        assert (
            review.submit_for_review(s, ALICE, "fraud", SubmissionIn(version="1", code_review_url=PR), now=T0).stage
            == "technical_review"
        )


def test_chair_decision_rules(engine: Engine) -> None:
    rid = _submitted(engine)
    with session_scope(engine) as s:
        with pytest.raises(Conflict, match="still missing 1 approval"):
            review.decide(s, actor("carol"), rid, DecisionIn(decision="approved"))
    with session_scope(engine) as s:
        review.set_reviewer_roles(s, ADMIN, "dan", ["data_science_lead", "business_owner"])
    out = _vote(engine, "dan", rid, "data_science_lead")
    assert out.stage == "business_risk_review"
    with pytest.raises(Conflict, match="one reviewer, one role"):
        _vote(engine, "dan", rid, "business_owner")
    _vote(engine, "bob", rid, "business_owner")
    assert _vote(engine, "rita", rid, "risk_compliance").stage == "business_risk_review"  # legal, ethics to come
    _vote(engine, "lena", rid, "legal")
    assert _vote(engine, "eric", rid, "ethics").stage == "awaiting_decision"
    with session_scope(engine) as s:
        with pytest.raises(PermissionDenied):
            review.decide(s, actor("bob"), rid, DecisionIn(decision="approved"))
        with pytest.raises(Conflict, match="reservations"):
            review.decide(s, actor("carol"), rid, DecisionIn(decision="approved_with_reservations"))
        with pytest.raises(Conflict, match="feedback"):
            review.decide(s, actor("carol"), rid, DecisionIn(decision="rejected"))
        out = review.decide(s, actor("carol"), rid, DecisionIn(decision="approved"))
    assert out.decision == "approved" and [v.role for v in out.votes] == [
        "data_science_lead",
        "business_owner",
        "risk_compliance",
        "legal",
        "ethics",
    ]


def test_tier2_needs_peer_then_business_owner_and_decides_itself(engine: Engine) -> None:
    rid = _submitted(engine, tier=2)
    assert _vote(engine, "pete", rid, "peer").stage == "business_risk_review"
    out = _vote(engine, "bob", rid, "business_owner")
    assert (out.stage, out.decision, out.tier) == ("decided", "approved", 2)


def test_tier4_self_review_by_owner(engine: Engine) -> None:
    rid = _submitted(engine, tier=4)
    with pytest.raises(PermissionDenied):
        _vote(engine, "pete", rid, "owner")
    assert _vote(engine, "alice", rid, "owner").decision == "approved"


def test_submission_gate_and_duplicate_open_review(engine: Engine) -> None:
    rid = _submitted(engine)
    with session_scope(engine) as s:
        with pytest.raises(GateError) as err:
            review.submit_for_review(s, ALICE, "fraud", SubmissionIn(version="1"), now=T0)
    assert err.value.missing == ["code review link", "no other open review of version '1'"]
    assert rid == 1


def test_team_scoping_and_permissions(engine: Engine) -> None:
    with session_scope(engine) as s:
        inventory.register_model(
            s, ALICE, ModelIn(name="fraud", kind="classical", owner="alice", team="risk", use_case="fraud"), T0
        )
        inventory.register_model(
            s, MALLORY, ModelIn(name="upsell", kind="llm", owner="mallory", team="marketing", use_case="emails"), T0
        )
        with pytest.raises(PermissionDenied):
            inventory.register_model(
                s, MALLORY, ModelIn(name="x", kind="llm", owner="m", team="risk", use_case="x"), T0
            )
    with session_scope(engine) as s:
        assert [m.name for m in inventory.list_models(s, ALICE)] == ["fraud"]
        assert [m.name for m in inventory.list_models(s, ADMIN)] == ["fraud", "upsell"]
        assert [m.name for m in inventory.list_models(s, ADMIN, team="marketing", kind="llm")] == ["upsell"]
        assert inventory.list_models(s, ALICE, team="marketing") == []
        with pytest.raises(NotFound):
            inventory.get_model(s, MALLORY, "fraud")
        with pytest.raises(NotFound):
            classification.classify_model(s, MALLORY, "fraud", CRITERIA[4], T0)
        with pytest.raises(PermissionDenied):
            review.set_reviewer_roles(s, ALICE, "alice", ["chair"])
        with pytest.raises(Conflict):
            inventory.register_model(
                s, ALICE, ModelIn(name="fraud", kind="llm", owner="a", team="risk", use_case="dup"), T0
            )
    with session_scope(engine) as s:
        overdue = classification.overdue_reviews(s, ALICE, T0)
    assert [(o.model, o.reasons) for o in overdue] == [("fraud", ["never classified"])]


def test_a_refused_vote_names_the_roles_held_and_how_to_get_the_missing_one(engine: Engine) -> None:
    rid = _submitted(engine)
    with pytest.raises(PermissionDenied) as err:
        _vote(engine, "bob", rid, "data_science_lead")
    assert "holds ['business_owner']" in str(err.value)
    assert "warden models reviewers grant bob data_science_lead" in str(err.value)
    with pytest.raises(Conflict, match=r"it takes \['data_science_lead', 'owner', 'peer'\]"):
        _vote(engine, "bob", rid, "business_owner")


def test_a_review_names_what_it_still_waits_for(engine: Engine) -> None:
    rid = _submitted(engine)
    with session_scope(engine) as s:
        assert review.get_review(s, ALICE, rid).awaiting == ["1 approval(s) as data_science_lead"]
        with pytest.raises(Conflict, match="still missing 1 approval"):
            review.decide(s, actor("carol"), rid, DecisionIn(decision="approved"), now=T0)
    out = _vote(engine, "dan", rid, "data_science_lead")
    assert out.awaiting == ["1 approval(s) as business_owner", "1 approval(s) as ethics", "1 approval(s) as legal",
                            "1 approval(s) as risk_compliance"]
    _vote(engine, "bob", rid, "business_owner")
    assert _vote(engine, "rita", rid, "risk_compliance").awaiting == ["1 approval(s) as ethics",
                                                                      "1 approval(s) as legal"]
    _vote(engine, "lena", rid, "legal")
    assert _vote(engine, "eric", rid, "ethics").awaiting == ["a decision by the chair"]
    with session_scope(engine) as s:
        assert review.decide(s, actor("carol"), rid, DecisionIn(decision="approved"), now=T0).awaiting == []
