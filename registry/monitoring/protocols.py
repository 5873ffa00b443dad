"""What monitoring needs from governance, as protocols the lead plugs implementations into."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

TierLookup = Callable[[str], int | None]
"""The risk tier (1 = most critical) of a model by name, or None when unknown."""


class AuditSink(Protocol):
    """The governance audit trail."""

    def record(
        self,
        actor: str,
        action: str,
        subject: str,
        before: Mapping[str, object] | None,
        after: Mapping[str, object] | None,
    ) -> None: ...


class AliasSwitcher(Protocol):
    """Moves a gateway alias (e.g. `production`) between versions of a model."""

    def serving_alias(self, model_name: str, alias: str) -> str:
        """The alias the gateway really serves the model through (`alias` unless a rollout plan names another)."""
        ...

    def current_version(self, model_name: str, alias: str) -> str | None: ...

    def previous_version(self, model_name: str, alias: str) -> str | None:
        """The version the alias pointed to before the current one, or None when there is none."""
        ...

    def set_alias(self, model_name: str, alias: str, version: str) -> None: ...

    def withdraw(self, model_name: str, version: str) -> str | None:
        """Stop routing traffic to `version` when it is a rollout's candidate (e.g. a canary); returns the version
        that now takes its traffic, or None when `version` is no candidate."""
        ...
