"""Errors of the governance service; the gateway maps them to HTTP statuses (404, 403, 409, 422)."""

from __future__ import annotations


class GovernanceError(Exception):
    """Base class of every error raised by `registry.governance`."""


class NotFound(GovernanceError):
    """A model, version, review or alias that does not exist (or that the actor may not see)."""


class PermissionDenied(GovernanceError):
    """The actor lacks the team membership or reviewer role the operation needs."""


class Conflict(GovernanceError):
    """The operation contradicts the current state (duplicate name, wrong workflow stage, bad transition)."""


class GateError(GovernanceError):
    """A governance gate refused: `missing` lists every unmet requirement, not only the first."""

    def __init__(self, action: str, missing: list[str]) -> None:
        self.action = action
        self.missing = list(missing)
        super().__init__(f"{action} refused; missing: " + "; ".join(self.missing))
