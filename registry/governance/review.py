"""The Model Review Board workflow: submission -> technical review -> business & risk review -> decision.

Which roles must approve, and how many of each, comes from the tier policy. Roles are held in `gov_reviewers`
(the `owner` role is implicit: the model's owner, used for tier 4 self-review). A rejection by any required role
ends the review with its feedback; when the last approval arrives the review is decided automatically unless
the tier wants the board chair to decide.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from registry.governance import audit
from registry.governance.access import find_model, find_version, readable_model, record_change, writable_model
from registry.governance.card import check_card
from registry.governance.errors import Conflict, GateError, NotFound, PermissionDenied
from registry.governance.gates import classification_gaps, effective_policy, spec_gaps
from registry.governance.independence import check_independent
from registry.governance.inventory import card_with_classification
from registry.governance.policy import DEFAULT_POLICY, PolicyTable, TierPolicy
from registry.governance.schemas import DecisionIn, ReviewOut, SubmissionIn, VoteIn, VoteOut
from registry.governance.specs import VersionSpec
from registry.governance.tables import GovModel, GovModelVersion, GovReview, GovReviewer, GovReviewVote
from registry.governance.types import Actor, ReviewerRole, ReviewStage, stamp

STAGE_ROLES: dict[ReviewStage, frozenset[ReviewerRole]] = {
    "technical_review": frozenset({"data_science_lead", "peer", "owner"}),
    "business_risk_review": frozenset({"business_owner", "risk_compliance", "legal", "ethics"}),
}
_NEXT: dict[ReviewStage, ReviewStage] = {
    "technical_review": "business_risk_review",
    "business_risk_review": "awaiting_decision",
}


def set_reviewer_roles(session: Session, actor: Actor, user: str, roles: list[ReviewerRole]) -> list[ReviewerRole]:
    """Grant board roles (admin only); the grant is audited on the `registry` chain."""
    if not actor.admin:
        raise PermissionDenied(f"{actor.name!r} may not grant reviewer roles")
    row = session.get(GovReviewer, user) or GovReviewer(user=user, roles=[])
    before, row.roles = list(row.roles), sorted(set(roles))
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor.name,
        person=actor.person,
        chain=audit.REGISTRY_CHAIN,
        action="reviewer.roles",
        subject=f"user:{user}",
        before={"roles": before},
        after={"roles": row.roles},
    )
    return row.roles  # type: ignore[return-value]


def reviewer_roles(session: Session, user: str) -> set[str]:
    row = session.get(GovReviewer, user)
    return set(row.roles) if row else set()


def list_reviewers(session: Session) -> dict[str, list[str]]:
    """Every board member and the roles they hold."""
    rows = session.exec(select(GovReviewer).order_by(col(GovReviewer.user)))
    return {row.user: sorted(row.roles) for row in rows if row.roles}


def submit_for_review(
    session: Session,
    actor: Actor,
    name: str,
    data: SubmissionIn,
    policy: PolicyTable = DEFAULT_POLICY,
    now: datetime | None = None,
) -> ReviewOut:
    """Open a review; refused unless the model card, validation report and code review the tier needs are there."""
    at = stamp(now)
    model = writable_model(session, actor, name)
    version = find_version(session, model, data.version)
    tier = effective_policy(model, policy)
    gaps = _submission_gaps(session, model, version, data, tier, at)
    if gaps:
        raise GateError(f"submitting {name!r} version {data.version!r} for review", gaps)
    review = GovReview(
        model_id=model.id,
        version_id=version.id,
        tier=tier.tier,
        stage="technical_review",
        submission=data.model_dump(mode="json"),
        submitted_by=actor.name,
        created_at=at,
    )
    session.add(review)
    session.flush()
    _advance(review, [], tier, at)
    record_change(
        session,
        actor,
        model,
        "review.submit",
        subject=_subject(model, version, review),
        after={"tier": tier.tier, **review.submission},
        at=at,
    )
    return _out(session, review, policy)


def _submission_gaps(
    session: Session, model: GovModel, version: GovModelVersion, data: SubmissionIn, tier: TierPolicy, at: datetime
) -> list[str]:
    gaps = classification_gaps(model, at) if model.prohibited or model.classification is None else []
    gaps += spec_gaps(VersionSpec.model_validate(version.spec))
    card = check_card(card_with_classification(model), tier.model_card)
    gaps += [f"model card section {section!r} ({tier.model_card})" for section in card.missing]
    if tier.validation.require_validation_report:
        gaps += [] if version.validation_report else ["validation report"]
        gaps += [] if data.code_review_url else ["code review link"]
    open_review = select(GovReview).where(GovReview.version_id == version.id, GovReview.stage != "decided")
    if session.exec(open_review).first() is not None:
        gaps.append(f"no other open review of version {version.version!r}")
    return gaps


def record_vote(
    session: Session,
    actor: Actor,
    review_id: int,
    vote: VoteIn,
    policy: PolicyTable = DEFAULT_POLICY,
    now: datetime | None = None,
) -> ReviewOut:
    at = stamp(now)
    review = _load(session, review_id)
    # Board members review across teams: their reviewer role, not team membership, authorises them.
    model = find_model(session, _model_name(session, review))
    stage: ReviewStage = review.stage  # type: ignore[assignment]
    if stage not in STAGE_ROLES:
        raise Conflict(f"review {review_id} is at stage {stage!r}: no votes are taken")
    if vote.role not in STAGE_ROLES[stage]:
        raise Conflict(
            f"role {vote.role!r} does not vote at stage {stage!r}; it takes {sorted(STAGE_ROLES[stage])!r}"
        )
    _check_role(session, actor, model, vote.role)
    version = session.get(GovModelVersion, review.version_id)
    assert version is not None
    if vote.role != "owner":
        check_independent(session, actor, model, version, f"vote as {vote.role!r} on its review", policy)
    if any(v.reviewer == actor.name for v in _votes(session, review)):
        raise Conflict(f"{actor.name!r} already voted on review {review_id}: one reviewer, one role")
    if not vote.approve and not vote.comment:
        raise Conflict("a rejection needs a comment: it is the feedback the team receives")
    row = GovReviewVote(
        review_id=review.id,
        reviewer=actor.name,
        role=vote.role,
        stage=stage,
        approve=vote.approve,
        comment=vote.comment,
        reservations=vote.reservations,
        at=at,
    )
    session.add(row)
    session.flush()
    if not vote.approve:
        _close(review, "rejected", actor.name, at, feedback=vote.comment)
    else:
        _advance(review, _votes(session, review), policy.for_tier(review.tier), at)  # type: ignore[arg-type]
    record_change(
        session,
        actor,
        model,
        "review.vote",
        subject=_subject(model, version, review),
        after={**vote.model_dump(mode="json"), "stage": stage, "now": review.stage},
        at=at,
    )
    return _out(session, review, policy)


def decide(session: Session, actor: Actor, review_id: int, data: DecisionIn, now: datetime | None = None) -> ReviewOut:
    """The chair's decision. Approval only once every required vote is in; rejection at any stage."""
    at = stamp(now)
    review = _load(session, review_id)
    model = find_model(session, _model_name(session, review))
    _check_role(session, actor, model, "chair")
    if review.stage == "decided":
        raise Conflict(f"review {review_id} is already decided ({review.decision!r})")
    if data.decision != "rejected" and review.stage != "awaiting_decision":
        tier = DEFAULT_POLICY.for_tier(review.tier)  # type: ignore[arg-type]
        missing = awaited(review, _votes(session, review), tier)
        raise Conflict(f"review {review_id} is at stage {review.stage!r}: still missing {', '.join(missing)}")
    if data.decision == "rejected" and not data.feedback:
        raise Conflict("a rejection needs feedback")
    if data.decision == "approved_with_reservations" and not (data.reservations or review.reservations):
        raise Conflict("'approved_with_reservations' needs the reservations recorded")
    _close(review, data.decision, actor.name, at, feedback=data.feedback, reservations=data.reservations)
    version = session.get(GovModelVersion, review.version_id)
    assert version is not None
    record_change(
        session,
        actor,
        model,
        "review.decide",
        subject=_subject(model, version, review),
        after=data.model_dump(mode="json"),
        at=at,
    )
    return _out(session, review)


def _check_role(session: Session, actor: Actor, model: GovModel, role: ReviewerRole) -> None:
    if role == "owner":
        if actor.name != model.owner:
            raise PermissionDenied(f"{actor.name!r} is not the owner of {model.name!r} and cannot self-review it")
        return
    held = reviewer_roles(session, actor.name)
    if role not in held:
        raise PermissionDenied(
            f"{actor.name!r} does not hold the reviewer role {role!r} (holds {sorted(held)!r}); an admin grants it "
            f"with `warden models reviewers grant {actor.name} {role}` or PUT /registry/reviewers/{{key_id}}"
        )
    if role == "peer" and actor.name == model.owner:
        raise PermissionDenied(f"a peer review of {model.name!r} cannot come from its owner {actor.name!r}")


def _satisfied(stage: ReviewStage, votes: list[GovReviewVote], tier: TierPolicy) -> bool:
    needed = {role: n for role, n in tier.validation.required_roles.items() if role in STAGE_ROLES[stage]}
    approvals = [v for v in votes if v.approve and v.stage == stage]
    return all(len({v.reviewer for v in approvals if v.role == role}) >= n for role, n in needed.items())


def _advance(review: GovReview, votes: list[GovReviewVote], tier: TierPolicy, at: datetime) -> None:
    while review.stage in STAGE_ROLES and _satisfied(review.stage, votes, tier):  # type: ignore[arg-type]
        review.stage = _NEXT[review.stage]  # type: ignore[index]
    review.reservations = sorted({r for v in votes for r in v.reservations})
    if review.stage == "awaiting_decision" and not tier.validation.chair_decides:
        decision = "approved_with_reservations" if review.reservations else "approved"
        _close(review, decision, "review-board", at)


def _close(
    review: GovReview,
    decision: str,
    by: str,
    at: datetime,
    feedback: str | None = None,
    reservations: list[str] | None = None,
) -> None:
    review.stage, review.decision, review.decided_by, review.decided_at = "decided", decision, by, at
    review.feedback = feedback
    review.reservations = sorted(set(review.reservations) | set(reservations or []))


def _load(session: Session, review_id: int) -> GovReview:
    review = session.get(GovReview, review_id)
    if review is None:
        raise NotFound(f"review {review_id!r} does not exist")
    return review


def _model_name(session: Session, review: GovReview) -> str:
    model = session.get(GovModel, review.model_id)
    assert model is not None
    return model.name


def _votes(session: Session, review: GovReview) -> list[GovReviewVote]:
    query = select(GovReviewVote).where(GovReviewVote.review_id == review.id).order_by(col(GovReviewVote.id))
    return list(session.exec(query))


def _subject(model: GovModel, version: GovModelVersion, review: GovReview) -> str:
    return f"model:{model.name}@{version.version}/review:{review.id}"


def _out(session: Session, review: GovReview, policy: PolicyTable = DEFAULT_POLICY) -> ReviewOut:
    session.add(review)
    session.flush()
    model, version = session.get(GovModel, review.model_id), session.get(GovModelVersion, review.version_id)
    assert model is not None and version is not None
    rows = _votes(session, review)
    votes = [VoteOut.model_validate(v.model_dump(exclude={"id", "review_id"})) for v in rows]
    data = review.model_dump(exclude={"model_id", "version_id"})
    awaiting = awaited(review, rows, policy.for_tier(review.tier))  # type: ignore[arg-type]
    return ReviewOut.model_validate(
        {**data, "model": model.name, "version": version.version, "votes": votes, "awaiting": awaiting}
    )


def awaited(review: GovReview, votes: list[GovReviewVote], tier: TierPolicy) -> list[str]:
    """What the review still waits for, by role: the approvals its stage needs, then the chair's decision."""
    if review.stage == "awaiting_decision":
        return ["a decision by the chair"]
    if review.stage not in STAGE_ROLES:
        return []
    needed = {role: n for role, n in tier.validation.required_roles.items() if role in STAGE_ROLES[review.stage]}
    approvals = [v for v in votes if v.approve and v.stage == review.stage]
    missing = {role: n - len({v.reviewer for v in approvals if v.role == role}) for role, n in needed.items()}
    return [f"{n} approval(s) as {role}" for role, n in sorted(missing.items()) if n > 0]


def get_review(session: Session, actor: Actor, review_id: int) -> ReviewOut:
    review = _load(session, review_id)
    readable_model(session, actor, _model_name(session, review))
    return _out(session, review)


def list_reviews(session: Session, actor: Actor, name: str, version: str | None = None) -> list[ReviewOut]:
    """Reviews of a model (the decided ones are its approvals record)."""
    model = readable_model(session, actor, name)
    query = select(GovReview).where(GovReview.model_id == model.id)
    if version is not None:
        query = query.where(GovReview.version_id == find_version(session, model, version).id)
    return [_out(session, review) for review in session.exec(query.order_by(col(GovReview.id)))]


def review_queue(session: Session, actor: Actor) -> list[ReviewOut]:
    """Undecided reviews of every team, for a board member (votes are authorised by role, not by team); an actor
    without reviewer roles gets none here and reads reviews through the models it may see."""
    if not actor.admin and not reviewer_roles(session, actor.name):
        return []
    rows = session.exec(select(GovReview).where(GovReview.stage != "decided").order_by(col(GovReview.id)))
    return [_out(session, review) for review in rows]
