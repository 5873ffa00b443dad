"""Check the audit chains, purge what retention allows without breaking them, and export entries."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import Literal, TextIO

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete
from sqlmodel import Session, col, select

from registry.governance.audit import GENESIS, AuditEntryOut, append, canonical_json, entry_hash, lock_head
from registry.governance.tables import GovAuditCheckpoint, GovAuditEntry, GovAuditHead
from registry.governance.types import as_utc

PURGE_ACTION = "audit.purge"


class AuditProblem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chain: str
    seq: int | None
    entry_id: int | None
    reason: str


class VerifyReport(BaseModel):
    """`first_bad` names the earliest broken entry of the first broken chain."""

    model_config = ConfigDict(extra="forbid")

    chains: int
    entries: int
    problems: list[AuditProblem]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad(self) -> AuditProblem | None:
        return self.problems[0] if self.problems else None


def _chains(session: Session, chain: str | None) -> list[str]:
    if chain is not None:
        return [chain]
    names = set(session.exec(select(GovAuditEntry.chain).distinct()))
    names |= set(session.exec(select(GovAuditHead.chain)))
    return sorted(names)


def _entries(session: Session, chain: str) -> Iterator[GovAuditEntry]:
    query = select(GovAuditEntry).where(GovAuditEntry.chain == chain).order_by(col(GovAuditEntry.seq))
    yield from session.exec(query.execution_options(yield_per=500))


def _check_entry(entry: GovAuditEntry, expected_seq: int, prev_hash: str) -> str | None:
    if entry.seq > expected_seq:
        return f"entries seq {expected_seq}..{entry.seq - 1} are missing (deleted) before seq {entry.seq}"
    if entry.seq < expected_seq:
        return f"entry seq {entry.seq} precedes the purge checkpoint (inserted)"
    if entry.prev_hash != prev_hash:
        return f"prev_hash {entry.prev_hash[:12]!r} does not chain to the previous entry (inserted or reordered)"
    if entry_hash(entry) != entry.hash:
        return f"hash {entry.hash[:12]!r} does not match the entry's content (edited)"
    return None


def _verify_chain(session: Session, chain: str) -> tuple[int, AuditProblem | None]:
    checkpoint = session.get(GovAuditCheckpoint, chain)
    expected, prev = (checkpoint.upto_seq + 1, checkpoint.last_hash) if checkpoint else (1, GENESIS)
    count, last_purge = 0, None
    for entry in _entries(session, chain):
        count += 1
        reason = _check_entry(entry, expected, prev)
        if reason:
            return count, AuditProblem(chain=chain, seq=entry.seq, entry_id=entry.id, reason=reason)
        if entry.action == PURGE_ACTION:
            last_purge = entry
        expected, prev = entry.seq + 1, entry.hash
    return count, _check_tail(session, chain, expected - 1, prev, checkpoint, last_purge)


def _check_tail(
    session: Session,
    chain: str,
    last_seq: int,
    last_hash: str,
    checkpoint: GovAuditCheckpoint | None,
    last_purge: GovAuditEntry | None,
) -> AuditProblem | None:
    head = session.get(GovAuditHead, chain)
    if head is None:
        return AuditProblem(chain=chain, seq=None, entry_id=None, reason="chain head row is missing")
    if head.seq < last_seq:
        reason = f"entries seq {head.seq + 1}..{last_seq} are beyond the chain head (inserted)"
        return AuditProblem(chain=chain, seq=head.seq + 1, entry_id=None, reason=reason)
    if head.seq > last_seq:
        reason = f"entries seq {last_seq + 1}..{head.seq} are missing (deleted from the tail)"
        return AuditProblem(chain=chain, seq=last_seq + 1, entry_id=None, reason=reason)
    if head.hash != last_hash:
        return AuditProblem(chain=chain, seq=last_seq, entry_id=None, reason="chain head hash differs from last entry")
    if checkpoint is not None:
        recorded = (last_purge.after or {}) if last_purge else {}
        if recorded.get("upto_seq") != checkpoint.upto_seq or recorded.get("last_hash") != checkpoint.last_hash:
            reason = f"purge checkpoint at seq {checkpoint.upto_seq} is not recorded by an audit.purge entry"
            return AuditProblem(chain=chain, seq=checkpoint.upto_seq, entry_id=None, reason=reason)
    return None


def verify(session: Session, chain: str | None = None) -> VerifyReport:
    """Walk every chain (or one) from its genesis or purge checkpoint to its head."""
    problems: list[AuditProblem] = []
    total = 0
    names = _chains(session, chain)
    for name in names:
        count, problem = _verify_chain(session, name)
        total += count
        if problem:
            problems.append(problem)
    return VerifyReport(chains=len(names), entries=total, problems=problems)


def purge_chain(session: Session, *, actor: str, chain: str, cutoff: datetime, at: datetime | None = None) -> int:
    """Delete the oldest entries of `chain` older than `cutoff`; a checkpoint keeps the rest verifiable."""
    lock_head(session, chain)
    cutoff = as_utc(cutoff)
    last: GovAuditEntry | None = None
    for entry in _entries(session, chain):
        if entry.at >= cutoff:
            break
        last = entry
    if last is None:
        return 0
    purged = session.exec(
        select(GovAuditEntry.id).where(GovAuditEntry.chain == chain, GovAuditEntry.seq <= last.seq)
    ).all()
    session.execute(delete(GovAuditEntry).where(col(GovAuditEntry.id).in_(purged)))
    checkpoint = session.get(GovAuditCheckpoint, chain) or GovAuditCheckpoint(
        chain=chain, upto_seq=0, last_hash=GENESIS
    )
    checkpoint.upto_seq, checkpoint.last_hash = last.seq, last.hash
    checkpoint.purged_total += len(purged)
    session.add(checkpoint)
    after = {"upto_seq": last.seq, "last_hash": last.hash, "purged": len(purged), "cutoff": cutoff.isoformat()}
    append(session, actor=actor, chain=chain, action=PURGE_ACTION, subject=f"audit:{chain}", after=after, at=at)
    return len(purged)


ExportFormat = Literal["jsonl", "csv"]
_CSV_FIELDS = ["id", "chain", "seq", "at", "actor", "person", "action", "subject", "before", "after", "prev_hash", "hash"]


def export_entries(session: Session, out: TextIO, fmt: ExportFormat = "jsonl", chain: str | None = None) -> int:
    """Write entries chain by chain in sequence order; returns how many were written."""
    writer = csv.DictWriter(out, fieldnames=_CSV_FIELDS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    count = 0
    for name in _chains(session, chain):
        for entry in _entries(session, name):
            record = AuditEntryOut.model_validate(entry).model_dump(mode="json")
            if writer is None:
                out.write(canonical_json(record) + "\n")
            else:
                record["before"], record["after"] = canonical_json(record["before"]), canonical_json(record["after"])
                writer.writerow(record)
            count += 1
    return count
