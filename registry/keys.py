"""Teams and API keys. Keys are stored only as SHA-256 hashes; the plain key is returned once, at creation."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.engine import Engine
from sqlmodel import select

from registry.db import session_scope
from registry.tables import ApiKey, Team, utcnow

KEY_PREFIX = "wk-"
Role = Literal["admin", "team"]
Period = Literal["day", "week", "month", "total"]


class RegistryError(ValueError):
    """A registry operation was refused; the message says why and quotes the value."""


def hash_key(key: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


def create_team(
    engine: Engine,
    name: str,
    *,
    models: Sequence[str] | None = None,
    rpm: int | None = None,
    tpm: int | None = None,
    budget_usd: float | None = None,
    budget_period: Period = "month",
    guardrail_policy: str | None = None,
    exist_ok: bool = False,
) -> Team:
    with session_scope(engine) as session:
        existing = session.get(Team, name)
        if existing is not None:
            if exist_ok:
                return existing
            raise RegistryError(f"team {name!r} already exists")
        team = Team(name=name, models=list(models) if models is not None else None, rpm=rpm, tpm=tpm,
                    budget_usd=budget_usd, budget_period=budget_period, guardrail_policy=guardrail_policy)
        session.add(team)
        return team


def upsert_team(engine: Engine, name: str, **fields: object) -> Team:
    """Create the team or overwrite the given fields (used to apply the config's `teams` section)."""
    with session_scope(engine) as session:
        team = session.get(Team, name) or Team(name=name)
        for field, value in fields.items():
            setattr(team, field, value)
        session.add(team)
        return team


def list_teams(engine: Engine) -> list[Team]:
    with session_scope(engine) as session:
        return list(session.exec(select(Team).order_by(Team.name)))


def get_team(engine: Engine, name: str) -> Team | None:
    with session_scope(engine) as session:
        return session.get(Team, name)


def create_key(
    engine: Engine,
    *,
    team: str | None,
    role: Role = "team",
    name: str | None = None,
    person: str | None = None,
    models: Sequence[str] | None = None,
    rpm: int | None = None,
    tpm: int | None = None,
    budget_usd: float | None = None,
    budget_period: Period = "month",
    guardrail_policy: str | None = None,
    expires_in: timedelta | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plain key, which is never stored and cannot be shown again."""
    if role == "team" and not team:
        raise RegistryError("a team key needs a team")
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        if team is not None and session.get(Team, team) is None:
            raise RegistryError(f"unknown team {team!r}; create it first with `warden teams create {team}`")
        row = ApiKey(
            id="key_" + secrets.token_hex(6), key_hash=hash_key(plain), prefix=plain[:10], name=name, person=person, role=role,
            team=team, models=list(models) if models is not None else None, rpm=rpm, tpm=tpm,
            budget_usd=budget_usd, budget_period=budget_period, guardrail_policy=guardrail_policy,
            expires_at=utcnow() + expires_in if expires_in else None,
        )
        session.add(row)
    return row, plain


def list_keys(engine: Engine, team: str | None = None) -> list[ApiKey]:
    with session_scope(engine) as session:
        query = select(ApiKey).order_by(ApiKey.created_at)
        if team is not None:
            query = query.where(ApiKey.team == team)
        return list(session.exec(query))


def revoke_key(engine: Engine, key_id: str, team: str | None = None) -> ApiKey:
    """Revoke by id (or by the shown prefix). With `team`, only that team's keys can be revoked."""
    with session_scope(engine) as session:
        row = session.get(ApiKey, key_id) or session.exec(select(ApiKey).where(ApiKey.prefix == key_id)).first()
        if row is None or (team is not None and row.team != team):
            raise RegistryError(f"no key {key_id!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
        return row


def set_person(engine: Engine, key_id: str, person: str | None) -> ApiKey:
    """Name (or, with None, un-name) the person holding a key; by id or by the shown prefix."""
    with session_scope(engine) as session:
        row = session.get(ApiKey, key_id) or session.exec(select(ApiKey).where(ApiKey.prefix == key_id)).first()
        if row is None:
            raise RegistryError(f"no key {key_id!r}")
        row.person = person
        session.add(row)
        return row


def find_key(engine: Engine, key_hash: str) -> tuple[ApiKey, Team | None] | None:
    with session_scope(engine) as session:
        row = session.exec(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()
        if row is None:
            return None
        team = session.get(Team, row.team) if row.team else None
        return row, team


def count_keys(engine: Engine) -> int:
    with session_scope(engine) as session:
        return len(list(session.exec(select(ApiKey.id))))


def is_expired(row: ApiKey, now: datetime | None = None) -> bool:
    return row.expires_at is not None and row.expires_at <= (now or utcnow())
