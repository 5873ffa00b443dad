"""The audit trail catches edits, deletions and insertions, survives purges, exports, and never forks."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta

import pytest
from gov_helpers import ADMIN, ALICE, CRITERIA, T0
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.governance import ModelIn, ModelUpdate, audit, audit_verify, classification, inventory
from registry.governance.retention import purge_audit
from registry.governance.tables import GovAuditCheckpoint, GovAuditEntry


def _model(engine: Engine, name: str = "churn", updates: int = 4, tier: int | None = None) -> None:
    with session_scope(engine) as s:
        inventory.register_model(
            s, ALICE, ModelIn(name=name, kind="classical", owner="alice", team="risk", use_case="churn"), T0
        )
        for i in range(updates):
            inventory.update_model(s, ALICE, name, ModelUpdate(description=f"rev {i}"), T0 + timedelta(days=i + 1))
        if tier is not None:
            classification.classify_model(s, ALICE, name, CRITERIA[tier], T0 + timedelta(days=updates + 1))


def _verify(engine: Engine) -> audit_verify.VerifyReport:
    with session_scope(engine) as s:
        return audit_verify.verify(s)


def _entry(engine: Engine, seq: int, chain: str = "churn") -> GovAuditEntry:
    with session_scope(engine) as s:
        query = select(GovAuditEntry).where(GovAuditEntry.chain == chain, GovAuditEntry.seq == seq)
        return s.execute(query).scalar_one()


def test_intact_chain_verifies(engine: Engine) -> None:
    _model(engine)
    report = _verify(engine)
    assert report.ok and report.entries == 5 and report.chains == 1


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("after", {"description": "forged"}),
        ("actor", "eve"),
        ("action", "model.delete"),
        ("subject", "model:other"),
        ("at", T0 + timedelta(days=99)),
    ],
)
def test_edited_row_is_named(engine: Engine, column: str, value: object) -> None:
    _model(engine)
    with session_scope(engine) as s:
        s.execute(
            update(GovAuditEntry).where(GovAuditEntry.chain == "churn", GovAuditEntry.seq == 3).values({column: value})
        )
    bad = _verify(engine).first_bad
    assert bad is not None and bad.seq == 3 and "edited" in bad.reason


def test_edited_row_with_recomputed_hash_breaks_the_next_link(engine: Engine) -> None:
    _model(engine)
    with session_scope(engine) as s:
        row = s.execute(
            select(GovAuditEntry).where(GovAuditEntry.chain == "churn", GovAuditEntry.seq == 2)
        ).scalar_one()
        row.actor = "eve"
        row.hash = audit.entry_hash(row)
        s.add(row)
    bad = _verify(engine).first_bad
    assert bad is not None and bad.seq == 3 and "does not chain" in bad.reason


@pytest.mark.parametrize(
    ("seq", "named", "words"),
    [(1, 2, "missing (deleted)"), (3, 4, "missing (deleted)"), (5, 5, "deleted from the tail")],
)
def test_deleted_row_is_detected(engine: Engine, seq: int, named: int, words: str) -> None:
    _model(engine)
    with session_scope(engine) as s:
        s.execute(delete(GovAuditEntry).where(GovAuditEntry.chain == "churn", GovAuditEntry.seq == seq))
    bad = _verify(engine).first_bad
    assert bad is not None and bad.seq == named and words in bad.reason


def _forged(engine: Engine, seq: int, prev_hash: str) -> dict[str, object]:
    row = GovAuditEntry(
        chain="churn",
        seq=seq,
        at=T0,
        actor="eve",
        action="model.update",
        subject="model:churn",
        before=None,
        after={"owner": "eve"},
        prev_hash=prev_hash,
        hash="",
    )
    row.hash = audit.entry_hash(row)
    return {
        k: getattr(row, k)
        for k in ("chain", "seq", "at", "actor", "action", "subject", "before", "after", "prev_hash", "hash")
    }


def test_inserted_row_beyond_head_is_detected_even_with_a_valid_hash(engine: Engine) -> None:
    _model(engine)
    last = _entry(engine, 5)
    with session_scope(engine) as s:
        s.execute(insert(GovAuditEntry).values(_forged(engine, 6, last.hash)))
    bad = _verify(engine).first_bad
    assert bad is not None and bad.seq == 6 and "beyond the chain head" in bad.reason


def test_inserted_row_in_the_middle_is_detected(engine: Engine) -> None:
    _model(engine)
    with session_scope(engine) as s:
        # Make room by renumbering the tail, then slip a forged entry chained to entry 2.
        for seq in (5, 4, 3):
            s.execute(
                update(GovAuditEntry)
                .where(GovAuditEntry.chain == "churn", GovAuditEntry.seq == seq)
                .values(seq=seq + 1)
            )
    prev = _entry(engine, 2)
    with session_scope(engine) as s:
        s.execute(insert(GovAuditEntry).values(_forged(engine, 3, prev.hash)))
    bad = _verify(engine).first_bad
    assert bad is not None and bad.seq == 4


def test_purge_keeps_chain_verifiable_and_respects_tiers(engine: Engine) -> None:
    _model(engine, "t3-model", updates=4, tier=3)
    _model(engine, "t1-model", updates=4, tier=1)
    later = T0 + timedelta(days=365 + 3)
    with session_scope(engine) as s:
        removed = purge_audit(s, ADMIN, now=later)
    assert removed == {"t3-model": 3}  # entries of days 0..2 are older than 365 days; tier 1 keeps 5 years
    report = _verify(engine)
    assert report.ok, report.problems
    with session_scope(engine) as s:
        cp = s.get(GovAuditCheckpoint, "t3-model")
        assert cp is not None and cp.upto_seq == 3
        cp.upto_seq = 2  # hiding the purge boundary is itself detected
        s.add(cp)
    assert not _verify(engine).ok


def test_purge_then_edit_is_still_caught(engine: Engine) -> None:
    _model(engine, "t4-model", updates=3, tier=4)
    with session_scope(engine) as s:
        assert purge_audit(s, ADMIN, now=T0 + timedelta(days=2, hours=1)) == {"t4-model": 3}
        inventory.update_model(s, ALICE, "t4-model", ModelUpdate(description="after purge"), T0 + timedelta(days=10))
    assert _verify(engine).ok
    with session_scope(engine) as s:
        s.execute(
            update(GovAuditEntry).where(GovAuditEntry.chain == "t4-model", GovAuditEntry.seq == 5).values(actor="eve")
        )
    bad = _verify(engine).first_bad
    assert bad is not None and bad.seq == 5


def test_export_jsonl_and_csv(engine: Engine) -> None:
    _model(engine)
    with session_scope(engine) as s:
        jsonl, table = io.StringIO(), io.StringIO()
        assert audit_verify.export_entries(s, jsonl, "jsonl") == 5
        assert audit_verify.export_entries(s, table, "csv") == 5
    lines = [json.loads(line) for line in jsonl.getvalue().splitlines()]
    assert [e["seq"] for e in lines] == [1, 2, 3, 4, 5] and lines[1]["after"] == {"description": "rev 0"}
    rows = list(csv.DictReader(io.StringIO(table.getvalue())))
    assert rows[0]["action"] == "model.create" and json.loads(rows[4]["after"]) == {"description": "rev 3"}
    assert rows[4]["prev_hash"] == rows[3]["hash"]


def test_concurrent_writers_do_not_fork_the_chain(engine: Engine) -> None:
    _model(engine, updates=0)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with session_scope(engine) as s:
                    audit.append(s, actor=f"w{n}", chain="churn", action="test.write", subject=f"w{n}/{i}")
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = _verify(engine)
    assert report.ok and report.entries == 41
