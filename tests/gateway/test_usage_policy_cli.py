"""`warden usecases` and `warden review` against a real registry (SQLite and PostgreSQL): every change audited."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from gateway.cli import cli
from registry.db import make_engine
from registry.governance.audit_verify import verify
from registry.governance.tables import GovModel
from registry.migrate import upgrade
from registry.review_queue import ReviewItem, enqueue
from registry.use_cases import POLICY_CHAIN


@pytest.fixture()
def run(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("WARDEN_ACTOR", "dpo@example.org")

    def invoke(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return invoke


def test_use_cases_are_created_listed_and_changed(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    out = run("usecases", "create", "support-drafts", "--owner", "support", "--status", "conditional",
              "--require-guardrail", "pii", "--human-review", "--max-data-class", "internal", "--model", "gpt-4o",
              "--key", "key_1", "--prompt", "support/answer")
    assert "created use case support-drafts (conditional)" in out
    assert "already exists" in run("usecases", "create", "support-drafts", "--owner", "x", "--status", "approved",
                                   code=1)
    assert "support-drafts" in run("usecases", "list")
    shown = run("usecases", "show", "support-drafts")
    assert '"human_review": true' in shown and '"key_1"' in shown and '"support/answer"' in shown
    assert "registry does not have: ['ghost-model']" in run(
        "usecases", "create", "other", "--owner", "x", "--status", "approved", "--registry-model", "ghost-model", code=1)
    upgrade(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        session.add(GovModel(name="ticket-llm", kind="llm", owner="ops", team="support", use_case="support",
                             created_by="dpo@example.org"))
        session.commit()
    engine.dispose()
    assert "created use case linked" in run("usecases", "create", "linked", "--owner", "x", "--status", "approved",
                                            "--registry-model", "ticket-llm")
    assert "is now forbidden" in run("usecases", "set-status", "support-drafts", "forbidden", "--reason", "audit")
    assert "does not exist" in run("usecases", "set-status", "ghost", "approved", code=1)
    assert "Invalid value" in run("usecases", "set-status", "support-drafts", "banned", code=2)
    engine = make_engine(database_url)
    with Session(engine) as session:
        report = verify(session, POLICY_CHAIN)
    engine.dispose()
    assert report.ok and report.entries == 3


def test_reviews_are_listed_shown_and_decided_once(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    upgrade(database_url)
    engine = make_engine(database_url)
    enqueue(engine, ReviewItem(id="a" * 32, request_id="req-1", team="hr", use_case="hr-letters",
                               exchange={"messages": [{"role": "user", "content": "Dear <PERSON>"}], "answer": ["ok"]}))
    engine.dispose()
    assert "a" * 32 in run("review", "list")
    assert "Dear <PERSON>" in run("review", "show", "a" * 32)
    out = run("review", "approve", "a" * 32, "--note", "fine")
    assert "approved by dpo@example.org" in out
    assert "already approved" in run("review", "reject", "a" * 32, code=1)
    assert "a" * 32 not in run("review", "list")
    assert "approved" in run("review", "list", "--status", "all")
    assert "does not exist" in run("review", "show", "b" * 32, code=1)
