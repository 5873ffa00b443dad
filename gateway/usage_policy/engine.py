"""The gateway's side of the usage policy: the registry's use cases kept in memory (refreshed on a schedule and
whenever this process changes one), and the writes that must not hold a request up (audit entries, reviews)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from gateway.providers.base import Deployment
from gateway.providers.router import Router
from gateway.usage_policy.config import UsagePolicyConfig
from registry import use_cases
from registry.db import session_scope
from registry.governance import audit
from registry.review_queue import ReviewItem, enqueue
from registry.use_cases import POLICY_CHAIN, Conditions

log = logging.getLogger("warden.policy")


@dataclass(frozen=True, slots=True)
class UseCaseView:
    name: str
    status: str
    conditions: Conditions


@dataclass(frozen=True, slots=True)
class UseCaseIndex:
    by_name: dict[str, UseCaseView]
    by_key: dict[str, str]
    by_prompt: dict[str, str]


EMPTY = UseCaseIndex({}, {}, {})


class PolicyEngine:
    def __init__(self, config: UsagePolicyConfig, engine: Engine) -> None:
        self.config = config
        self._engine = engine
        self.index = EMPTY
        self._refresher: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[Any]] = set()
        self._deployments: tuple[Deployment, ...] | None = None

    def deployments(self, router: Router) -> tuple[Deployment, ...]:
        """Every deployment of every listed model (the model list is fixed once the gateway has started)."""
        if self._deployments is None:
            self._deployments = tuple(d for name in router.models() for d in router.group(name))
        return self._deployments

    async def start(self) -> None:
        await self.reload()
        self._refresher = asyncio.create_task(self._refresh_loop(), name="use-case-refresh")

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=10)

    async def reload(self) -> None:
        rows = await asyncio.to_thread(use_cases.load_all, self._engine)
        by_name = {r.name: UseCaseView(r.name, r.status, Conditions.model_validate(r.conditions)) for r in rows}
        by_key = {key: r.name for r in rows for key in r.keys}
        by_prompt = {prompt: r.name for r in rows for prompt in r.prompts}
        self.index = UseCaseIndex(by_name, by_key, by_prompt)

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.use_case_refresh_s)
            try:
                await self.reload()
            except Exception as exc:  # the last known use cases stay in force while the database is away
                log.warning("use cases not refreshed: %s", type(exc).__name__)

    def audit(self, actor: str, action: str, request_id: str, after: dict[str, object]) -> None:
        """Append a policy decision to the audit trail, off the request path."""
        self._spawn(asyncio.to_thread(self._append, actor, action, request_id, after))

    def queue_review(self, item: ReviewItem, masker: Any) -> None:
        """Mask the exchange (PII engine, off the event loop) and queue it for a reviewer."""
        self._spawn(asyncio.to_thread(self._enqueue, item, masker))

    def _append(self, actor: str, action: str, request_id: str, after: dict[str, object]) -> None:
        with session_scope(self._engine) as session:
            audit.append(session, actor=actor, chain=POLICY_CHAIN, action=action, subject=request_id, after=after)

    def _enqueue(self, item: ReviewItem, masker: Any) -> None:
        if masker is not None:
            [item.exchange] = masker.mask_values([item.exchange])
        enqueue(self._engine, item)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("usage policy write failed: %s", type(task.exception()).__name__)
