"""Who a key stands for in governance: one `Actor` built the same way for an API caller and a CLI `--actor`.

The actor's `name` is the key id (with its team, `key_ab12@risk`): reviewer roles are granted to that name, so a
person acts with the same roles through REST and the CLI. The key's `person` travels with it into the audit trail.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from registry.governance.errors import PermissionDenied
from registry.governance.types import Actor
from registry.tables import ApiKey, utcnow


def actor_name(key_id: str, team: str | None) -> str:
    """The name the audit trail records: the key id, with its team when it has one (`key_ab12@risk`)."""
    return key_id if team is None else f"{key_id}@{team}"


def key_actor(key_id: str, team: str | None, admin: bool, person: str | None) -> Actor:
    teams = frozenset({team}) if team else frozenset()
    return Actor(name=actor_name(key_id, team), person=person, teams=teams, admin=admin)


def _usable(row: ApiKey) -> bool:
    return row.revoked_at is None and (row.expires_at is None or row.expires_at > utcnow())


def _candidates(session: Session, who: str) -> list[ApiKey]:
    by_id = session.get(ApiKey, who.split("@", 1)[0])
    if by_id is not None:
        return [by_id]
    query = select(ApiKey).where((col(ApiKey.person) == who) | (col(ApiKey.prefix) == who))
    return [row for row in session.exec(query) if _usable(row)]


def resolve_actor(session: Session, who: str) -> Actor:
    """The actor for a CLI `--actor`: a key id (`key_ab12` or `key_ab12@risk`), its shown prefix, or the person a
    single live key names. Free text that names no key is refused: CLI writes carry a key's roles, like the API."""
    rows = _candidates(session, who)
    if not rows:
        raise PermissionDenied(
            f"--actor {who!r} names no live API key (by id, prefix or person); an admin creates one with "
            f"`warden keys create --person {who!r} --team TEAM` (or --admin)"
        )
    if len(rows) > 1:
        ids = sorted(row.id for row in rows)
        raise PermissionDenied(f"--actor {who!r} names several keys {ids!r}; pass one key id")
    row = rows[0]
    if not _usable(row):
        raise PermissionDenied(f"--actor {who!r}: key {row.id!r} is revoked or expired")
    return key_actor(row.id, row.team, row.role == "admin", row.person)


def voter_name(session: Session, who: str) -> str:
    """The name reviewer roles are held under for `who`: the actor of the key it names, else `who` unchanged."""
    rows = _candidates(session, who)
    return actor_name(rows[0].id, rows[0].team) if len(rows) == 1 else who
