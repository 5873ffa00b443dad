"""What a request's usage row says about its chunks: how many were removed, and which ones the answer cites."""

from __future__ import annotations

from dataclasses import dataclass, field

from guardrails.base import CheckContext
from guardrails.grounding.citation_policy import CITED_KEY

STATE_KEY = "rag.chunks"


@dataclass(slots=True)
class ChunkState:
    """Kept in the request's check state by `filter_chunks`: the refs of the chunks that remain, in the order the
    guardrails and the provider number them, and the count removed."""

    refs: list[str] = field(default_factory=list)
    removed: int = 0


def chunks_removed(checks: CheckContext) -> int:
    state = checks.state.get(STATE_KEY)
    return state.removed if isinstance(state, ChunkState) else 0


def chunks_cited(checks: CheckContext) -> list[str] | None:
    """The refs of the cited chunks (source/chunk ids when the chunk carried them, else `documents[i]`); None when
    the citation check did not run."""
    cited = checks.state.get(CITED_KEY)
    if cited is None:
        return None
    state = checks.state.get(STATE_KEY)
    refs = state.refs if isinstance(state, ChunkState) else [f"documents[{i}]" for i in range(len(checks.documents))]
    return [refs[n - 1] for n in sorted(cited) if 0 < n <= len(refs)]
