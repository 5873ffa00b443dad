"""What the model registry says about the deployments the gateway routes to.

Deployments name their registry model and version (`model_info.registry_model/registry_version`). A snapshot
of the registry's answers (which versions may serve, the rollout plan of each model) is refreshed every
`registry.refresh_s` seconds off the request path, so routing reads memory only. Decommissioned or archived
versions are never routed to; with `registry.enforce` on, only versions in `registry.required_statuses` are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gateway.config import RegistryLinkConfig
from gateway.errors import PermissionDenied
from gateway.providers.base import Deployment
from gateway.snapshot_metrics import Freshness
from registry.governance import Actor, RolloutPlan, check_servable, get_rollout
from registry.governance.tables import GovModel

log = logging.getLogger("warden.registry")
GATEWAY = Actor(name="gateway", admin=True)
NEVER_ROUTED = ("decommissioned", "archived")


@dataclass(frozen=True, slots=True)
class Selection:
    """The deployments a request may use, and the ones a shadow copy of it goes to."""

    allowed: frozenset[str] | None
    shadow: tuple[Deployment, ...] = ()


@dataclass(slots=True)
class _ModelState:
    servable: dict[str, str | None] = field(default_factory=dict)
    """version -> None when it may serve, else the reason it may not."""
    plan: RolloutPlan | None = None


class RegistryLink:
    def __init__(self, engine: Engine, config: RegistryLinkConfig, deployments: Sequence[Deployment]) -> None:
        self._engine = engine
        self._config = config
        self._linked: dict[str, list[Deployment]] = {}
        for deployment in deployments:
            if deployment.registry_model:
                self._linked.setdefault(deployment.model_name, []).append(deployment)
        self._state: dict[str, _ModelState] = {}
        self._task: asyncio.Task[None] | None = None
        self.freshness = Freshness()

    @property
    def active(self) -> bool:
        return bool(self._linked)

    async def start(self) -> None:
        if not self.active:
            return
        await self.refresh()
        self._task = asyncio.create_task(self._loop(), name="registry-link")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def refresh(self) -> None:
        names = {d.registry_model for group in self._linked.values() for d in group if d.registry_model}
        versions = {name: {d.registry_version or "" for g in self._linked.values() for d in g
                           if d.registry_model == name} for name in names}
        self._state = await asyncio.to_thread(self._load, versions)
        self.freshness.succeeded()

    def select(self, model_name: str, request_key: str) -> Selection:
        """Raises 403 when no deployment of `model_name` may serve."""
        group = self._linked.get(model_name)
        if not group:
            return Selection(None)
        allowed = [d for d in group if self._reason(d) is None]
        if not allowed:
            reasons = sorted({self._reason(d) or "" for d in group})
            raise PermissionDenied(f"no registered version of {model_name!r} may serve: {'; '.join(reasons)}",
                                   code="model_version_not_servable")
        registry_model = group[0].registry_model or ""
        plan = self._state.get(registry_model, _ModelState()).plan
        shadow: tuple[Deployment, ...] = ()
        if plan is not None:
            served, mirrored = plan.choose(request_key)
            chosen = [d for d in allowed if d.registry_version == served]
            allowed = chosen or allowed
            if mirrored is not None:
                shadow = tuple(d for d in group if d.registry_version == mirrored and self._reason(d) is None)
        return Selection(frozenset(d.id for d in allowed), shadow)

    def _reason(self, deployment: Deployment) -> str | None:
        state = self._state.get(deployment.registry_model or "")
        if state is None:
            return f"model {deployment.registry_model!r} is not registered" if self._config.enforce else None
        return state.servable.get(deployment.registry_version or "", None)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._config.refresh_s)
            try:
                await self.refresh()
            except Exception as exc:  # keep routing on the last snapshot
                self.freshness.failed()
                log.warning("registry refresh failed, keeping the last snapshot: %s", type(exc).__name__)

    def _load(self, versions: dict[str, set[str]]) -> dict[str, _ModelState]:
        out: dict[str, _ModelState] = {}
        with Session(self._engine) as session:
            for name, wanted in versions.items():
                if session.exec(select(GovModel.id).where(GovModel.name == name)).first() is None:
                    continue
                state = _ModelState(plan=get_rollout(session, GATEWAY, name))
                for version in wanted:
                    state.servable[version] = self._judge(session, name, version)
                out[name] = state
        return out

    def _judge(self, session: Session, name: str, version: str) -> str | None:
        any_status = check_servable(session, name, version or None,
                                    ("development", "staging", "production", "archived", "decommissioned"))
        if not any_status.ok:
            return any_status.reason
        if any_status.status in NEVER_ROUTED:
            return f"version {any_status.version!r} of {name!r} is {any_status.status}"
        if self._config.enforce:
            strict = check_servable(session, name, version or None, self._config.required_statuses)
            return None if strict.ok else strict.reason
        return None
