"""What happens to each chunk of a request: kept, removed (ACL or source policy), or the request refused; and what
the request is flagged for (unregistered or stale sources, mixed or retired embedding versions)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from gateway.rag.catalog import Snapshot
from gateway.rag.chunks import Chunk
from gateway.rag.config import RagConfig, SourcePolicy
from registry.rag.sources import is_stale


@dataclass(slots=True)
class Decision:
    kept: list[Chunk] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)
    """Why -> how many: `acl`, `unregistered_source`, `stale_source`."""
    flags: dict[str, int] = field(default_factory=dict)
    refused: str | None = None
    """The reason the request is refused, naming the source."""

    @property
    def removed_count(self) -> int:
        return sum(self.removed.values())

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1


def caller_groups(config: RagConfig, team: str | None,
                  end_user: str | None) -> tuple[frozenset[str], frozenset[str] | None]:
    """The team's groups, and the end user's when the config lists that end user."""
    team_groups = frozenset(config.team_groups.get(team, [team])) if team else frozenset()
    user_groups = config.end_user_groups.get(end_user) if end_user else None
    return team_groups, (frozenset(user_groups) if user_groups is not None else None)


def may_read(acl: Sequence[str], team_groups: frozenset[str], user_groups: frozenset[str] | None) -> bool:
    if not acl:
        return True
    if team_groups.isdisjoint(acl):
        return False
    return user_groups is None or not user_groups.isdisjoint(acl)


def decide(config: RagConfig, snapshot: Snapshot, chunks: Iterable[Chunk], team_groups: frozenset[str],
           user_groups: frozenset[str] | None, now: datetime) -> Decision:
    decision = Decision()
    for chunk in chunks:
        meta = chunk.meta
        if meta is not None and not may_read(meta.acl, team_groups, user_groups):
            decision.count(decision.removed, "acl")
            continue
        if meta is not None and meta.source_id:
            source = snapshot.sources.get(meta.source_id)
            if source is None:
                kind, policy = "unregistered_source", config.unregistered_sources
            elif is_stale(source, now):
                kind, policy = "stale_source", config.stale_sources
            else:
                kind, policy = "", "allow"
            if not _apply(decision, kind, policy, meta.source_id):
                continue
        decision.kept.append(chunk)
    _embedding_flags(decision, snapshot)
    return decision


def _apply(decision: Decision, kind: str, policy: SourcePolicy, source_id: str) -> bool:
    """Whether the chunk stays."""
    if policy == "allow":
        return True
    if policy == "refuse":
        what = kind.replace('_', ' ')
        decision.refused = decision.refused or f"the documents include a chunk of {what} {source_id!r}"
        return False
    if policy == "drop":
        decision.count(decision.removed, kind)
        return False
    decision.count(decision.flags, kind)
    return True


def _embedding_flags(decision: Decision, snapshot: Snapshot) -> None:
    """Mixed versions among the kept chunks, retired versions, and chunks embedded otherwise than their source."""
    versions = {c.embedding for c in decision.kept if c.embedding is not None}
    if len(versions) > 1:
        decision.flags["mixed_embedding_versions"] = len(versions)
    for chunk in decision.kept:
        embedding = chunk.embedding
        if embedding is None:
            continue
        if embedding in snapshot.retired:
            decision.count(decision.flags, "retired_embedding_version")
        source = snapshot.sources.get(chunk.meta.source_id or "") if chunk.meta else None
        registered = (source.embedding_model, source.embedding_version) if source is not None else (None, None)
        if registered[0] and registered != embedding:
            decision.count(decision.flags, "embedding_mismatch")
