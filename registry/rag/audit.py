"""RAG governance changes in the governance audit trail (its `rag` chain), in the change's own transaction."""

from __future__ import annotations

from sqlmodel import Session, SQLModel

from registry.governance.audit import append

AUDIT_CHAIN = "rag"


def audit(session: Session, actor: str, action: str, subject: str, before: object, after: object) -> None:
    """One entry of the `rag` chain of the governance audit trail, in the change's own transaction."""
    append(session, actor=actor, chain=AUDIT_CHAIN, action=action, subject=subject, before=_as_json(before),
           after=_as_json(after))


def _as_json(row: object) -> dict[str, object] | None:
    if row is None or isinstance(row, dict):
        return row
    assert isinstance(row, SQLModel)
    return row.model_dump(mode="json")
