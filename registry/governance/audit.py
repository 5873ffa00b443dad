"""The append-only audit trail: one sha256 hash chain per model (chain `registry` for board-wide actions).

Each entry hashes a canonical JSON of its own fields plus the previous entry's hash, so editing, deleting or
inserting a row breaks the chain (`audit_verify.verify`). Appends lock the chain's head row (SELECT ... FOR UPDATE on
PostgreSQL; on SQLite a no-op UPDATE first takes the database write lock), so two writers cannot fork a chain.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from registry.governance.tables import GovAuditEntry, GovAuditHead
from registry.governance.types import as_utc, utcnow

GENESIS = "0" * 64
REGISTRY_CHAIN = "registry"

JsonObject = dict[str, object]


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    id: int
    chain: str
    seq: int
    at: datetime
    actor: str
    person: str | None = None
    action: str
    subject: str
    before: JsonObject | None
    after: JsonObject | None
    prev_hash: str
    hash: str


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def format_time(at: datetime) -> str:
    return as_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(entry: GovAuditEntry) -> str:
    """sha256 over the canonical JSON of everything an entry says, including the link to its predecessor."""
    payload = {
        "chain": entry.chain,
        "seq": entry.seq,
        "at": format_time(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }
    if entry.person is not None:
        # Only when set: links written before keys named people hash exactly as they did.
        payload["person"] = entry.person
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def _select_head(session: Session, chain: str) -> GovAuditHead | None:
    query = select(GovAuditHead).where(GovAuditHead.chain == chain).with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).first()


def lock_head(session: Session, chain: str) -> GovAuditHead:
    """Lock (creating if needed) the head row of `chain` for the rest of the transaction."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE; a write statement takes the database lock before the head is read.
        session.execute(update(GovAuditHead).where(GovAuditHead.chain == chain).values(seq=GovAuditHead.seq))
    head = _select_head(session, chain)
    if head is not None:
        return head
    try:
        with session.begin_nested():
            session.add(GovAuditHead(chain=chain, seq=0, hash=GENESIS))
    except IntegrityError:
        pass  # another writer created it first; its row lock now orders us after it
    head = _select_head(session, chain)
    assert head is not None
    return head


def append(
    session: Session,
    *,
    actor: str,
    person: str | None = None,
    chain: str,
    action: str,
    subject: str,
    before: JsonObject | None = None,
    after: JsonObject | None = None,
    at: datetime | None = None,
) -> GovAuditEntry:
    """Append one entry to `chain` inside the caller's transaction (committed or rolled back with the change)."""
    head = lock_head(session, chain)
    entry = GovAuditEntry(
        chain=chain,
        seq=head.seq + 1,
        at=as_utc(at) if at is not None else utcnow(),
        actor=actor,
        person=person,
        action=action,
        subject=subject,
        before=before,
        after=after,
        prev_hash=head.hash,
        hash="",
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    head.seq, head.hash = entry.seq, entry.hash
    session.add(head)
    session.flush()
    return entry


def list_entries(
    session: Session,
    *,
    chain: str | None = None,
    subject_prefix: str | None = None,
    limit: int = 100,
    offset: int = 0,
    latest: bool = False,
) -> list[AuditEntryOut]:
    """Entries in chain order; with `latest`, the last `limit` entries (still oldest first, as a trail reads)."""
    query = select(GovAuditEntry)
    if chain is not None:
        query = query.where(GovAuditEntry.chain == chain)
    if subject_prefix is not None:
        query = query.where(col(GovAuditEntry.subject).startswith(subject_prefix, autoescape=True))
    if latest:
        newest = query.order_by(col(GovAuditEntry.seq).desc(), col(GovAuditEntry.chain).desc())
        rows = list(session.exec(newest.offset(offset).limit(limit)))
        return [AuditEntryOut.model_validate(row) for row in reversed(rows)]
    query = query.order_by(GovAuditEntry.chain, GovAuditEntry.seq).offset(offset).limit(limit)  # type: ignore[arg-type]
    return [AuditEntryOut.model_validate(row) for row in session.exec(query)]
