"""The RAG source inventory on SQLite and PostgreSQL: sources, re-index tasks opened by an embedding change,
stale sources flagged by the monitoring scheduler, and the `warden sources` commands."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sqlmodel import Session

from gateway.cli import cli
from registry.governance.audit import list_entries
from registry.governance.audit_verify import verify
from registry.monitoring.runner import MonitorContext
from registry.monitoring.schedule import run_due
from registry.rag import embeddings, sources
from registry.rag.sources import SourceExists, SourceFields, SourceNotFound, SourceSpec

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


def test_sources_are_registered_changed_and_removed(engine) -> None:  # type: ignore[no-untyped-def]
    spec = SourceSpec(id="hr-wiki", owner="people-ops", reliability="high", rights="internal use only",
                      licence="proprietary", access_classes=["hr", "staff"], freshness_sla_s=86400,
                      embedding_model="e5", embedding_version="v1")
    sources.create_source(engine, spec, "tester")
    with pytest.raises(SourceExists, match="'hr-wiki'"):
        sources.create_source(engine, spec, "tester")
    stored = sources.get_source(engine, "hr-wiki")
    assert stored.access_classes == ["hr", "staff"] and stored.reliability == "high"
    assert [(v.model, v.version, v.status) for v in embeddings.list_versions(engine)] == [("e5", "v1", "active")]

    source, task = sources.update_source(engine, "hr-wiki", SourceFields(owner="kb-team"), "tester")
    assert source.owner == "kb-team" and task is None
    source, task = sources.update_source(engine, "hr-wiki", SourceFields(embedding_version="v2"), "tester")
    assert task is not None and (task.from_version, task.to_version, task.status) == ("v1", "v2", "open")
    assert [t.id for t in sources.list_tasks(engine)] == [task.id]
    sources.close_task(engine, task.id, "tester")
    assert sources.list_tasks(engine) == [] and len(sources.list_tasks(engine, None)) == 1

    sources.delete_source(engine, "hr-wiki", "tester")
    with pytest.raises(SourceNotFound):
        sources.get_source(engine, "hr-wiki")
    with Session(engine) as session:
        trail = [(e.actor, e.action, e.subject) for e in list_entries(session, chain="rag")]
        assert verify(session, "rag").problems == []
    assert [a for _, a, _ in trail] == ["source.create", "source.update", "source.update", "source.reindex.open",
                                        "source.reindex.done", "source.delete"]
    assert {actor for actor, _, _ in trail} == {"tester"}


def test_the_monitoring_pass_flags_stale_sources_until_refreshed(engine) -> None:  # type: ignore[no-untyped-def]
    sources.create_source(engine, SourceSpec(id="fresh", owner="a", freshness_sla_s=3600,
                                             refreshed_at=NOW - timedelta(minutes=10)), "t")
    sources.create_source(engine, SourceSpec(id="late", owner="a", freshness_sla_s=3600,
                                             refreshed_at=NOW - timedelta(hours=2)), "t")
    sources.create_source(engine, SourceSpec(id="never", owner="a", freshness_sla_s=3600), "t")
    sources.create_source(engine, SourceSpec(id="no-sla", owner="a"), "t")
    run_due(MonitorContext(engine=engine), now=NOW)
    assert [s.id for s in sources.list_sources(engine, stale_only=True)] == ["late", "never"]
    assert sources.flag_stale(engine, NOW) == []  # already flagged: not reported again
    sources.update_source(engine, "late", SourceFields(refreshed_at=NOW), "t")
    assert [s.id for s in sources.list_sources(engine, stale_only=True)] == ["never"]


def test_fields_are_validated() -> None:
    with pytest.raises(ValidationError):
        SourceSpec(id="a b", owner="x")
    with pytest.raises(ValidationError):
        SourceFields(reliability="great")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        SourceFields(colour="red")  # type: ignore[call-arg]


def test_cli(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = ["--database-url", f"sqlite:///{tmp_path / 'r.db'}"]
    runner = CliRunner()
    added = runner.invoke(cli, ["sources", "add", "kb", "--owner", "kb-team", "--sla", "1d", "--access-class", "staff",
                                "--embedding-model", "e5", "--embedding-version", "v1", *db])
    assert added.exit_code == 0, added.output
    assert '"freshness_sla_s": 86400' in added.output
    changed = runner.invoke(cli, ["sources", "update", "kb", "--embedding-model", "bge", "--embedding-version", "v1",
                                  *db])
    assert "opened re-index task 1: e5@v1 -> bge@v1" in changed.output
    assert "kb" in runner.invoke(cli, ["sources", "tasks", *db]).output
    assert runner.invoke(cli, ["sources", "check-stale", *db]).output.strip() == "1 newly stale: kb"
    assert "e5@v1 retired" in runner.invoke(cli, ["sources", "retire", "e5", "v1", *db]).output
    missing = runner.invoke(cli, ["sources", "show", "nope", *db])
    assert missing.exit_code == 1 and "'nope' is not registered" in missing.output
