"""The `rag:` section of the config: who may read which chunks, and what to do with chunks of unknown or stale
sources."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SourcePolicy = Literal["allow", "flag", "drop", "refuse"]
"""`flag`: keep the chunk and flag the request; `drop`: remove the chunk (counted); `refuse`: 403 the request."""


class RagConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    team_groups: dict[str, list[str]] = {}
    """The ACL groups each team's keys read; a team not listed reads the group of its own name."""
    end_user_groups: dict[str, list[str]] = {}
    """The ACL groups of end users (the request's `user`); a listed end user reads only chunks both it and its team
    may read."""
    unregistered_sources: SourcePolicy = "flag"
    stale_sources: SourcePolicy = "flag"
    send_documents: bool = False
    """Send the chunks that remain to the provider, numbered `[1]`, `[2]`... in a system message (after the input
    guardrails, masked as they left them), so the answer can cite them."""
    refresh_s: float = Field(default=5.0, ge=0)
    """How old the in-memory snapshot of sources and embedding versions may get before it is read again."""
