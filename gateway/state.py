"""The gateway's long-lived parts, opened in the app's lifespan and closed there."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from gateway.auth import KeyCache
from gateway.drain import Drain
from gateway.config import GatewayConfig, load_config
from gateway.exchange_log import ExchangeLogger, purge_loop
from gateway.genai_metrics import CooldownCollector
from gateway.guardrail_engine import GuardrailEngine
from gateway.limits.base import BudgetRule, Limiter
from gateway.cache.store import CacheStore, build_store
from gateway.limits.factory import build_limiter
from gateway.metrics import Metrics
from gateway.providers.demo import DemoProvider
from gateway.providers.deployments import build_deployments
from gateway.providers.litellm_provider import LiteLLMProvider
from gateway.providers.minute_tokens import SharedMinuteTokens
from gateway.providers.strategies import USAGE_STRATEGIES
from gateway.providers.openai_compat import OpenAICompatProvider
from gateway.providers.pricing import PriceMap
from gateway.prompts import GitError, PromptStore
from gateway.providers.router import Router
from gateway.rag.catalog import SourceCatalog
from gateway.registry_link import RegistryLink
from gateway.returned_answers import ReturnedAnswers, build_returned_answers
from gateway.snapshot_metrics import SnapshotCollector
from gateway.settings import Settings
from gateway.tracing import NoTracing, Tracing
from gateway import tracing_content
from gateway.tracing_setup import tracing_from_env
from gateway.usage_policy.engine import PolicyEngine
from gateway.usage_policy.metrics import ReviewBacklogCollector
from registry import spend
from registry.db import make_engine
from registry.monitoring.prometheus import monitor_collector
from registry.keys import upsert_team
from registry.migrate import upgrade
from registry.outage import is_outage
from registry.usage import UsageWriter

log = logging.getLogger("warden")
SEED_RETRY_S = 5.0


@dataclass(slots=True)
class Gateway:
    settings: Settings
    config: GatewayConfig
    engine: Engine
    router: Router
    limiter: Limiter
    usage: UsageWriter
    keys: KeyCache
    metrics: Metrics
    guardrails: GuardrailEngine
    registry: RegistryLink
    drain: Drain
    prompts: PromptStore | None = None
    exchanges: ExchangeLogger | None = None
    tracing: Tracing = field(default_factory=NoTracing)
    cache: CacheStore | None = None
    """The response cache's store, when `cache.enabled`."""
    policy: PolicyEngine | None = None
    """The usage policy, when the config has a `usage_policy` section."""
    rag: SourceCatalog | None = None
    """The registered RAG sources, when `rag.enabled`."""
    answers: ReturnedAnswers | None = None
    """Digests of returned answers, when a policy with input guardrails trusts them (`trust_returned_answers`)."""
    _purge: asyncio.Task[None] | None = None
    _seeded: set[str] = field(default_factory=set)
    _seed_retry_at: float = 0.0

    async def seed_budgets(self, budgets: tuple[BudgetRule, ...]) -> None:
        """Load each budget's spend in this period from usage rows once per process, so a restart (or a
        flushed Redis) does not forget what was spent."""
        if time.monotonic() < self._seed_retry_at:
            return  # the database was just found away: do not make every request wait for it again
        for budget in budgets:
            marker = f"{budget.name}:{budget.period}:{spend.period_start(budget.period).isoformat()}"
            if marker in self._seeded:
                continue
            try:
                spent = await asyncio.to_thread(spend.spent_since, self.engine, budget.scope, budget.subject,
                                                spend.period_start(budget.period))
            except Exception as exc:
                if not is_outage(exc):
                    raise
                # The limiter keeps counting what it sees; the spend is loaded once the database is back.
                log.warning("budget %s not seeded from usage rows yet: %s", budget.name, type(exc).__name__)
                self._seed_retry_at = time.monotonic() + SEED_RETRY_S
                return
            await self.limiter.seed(budget, spent)
            self._seeded.add(marker)

    async def close(self) -> None:
        self.drain.uninstall()
        if self._purge is not None:
            self._purge.cancel()
        if self.exchanges is not None:
            await self.exchanges.stop()
        await self.registry.stop()
        if self.policy is not None:
            await self.policy.stop()
        if self.prompts is not None:
            await self.prompts.stop()
        await self.usage.stop()
        for transport in {id(t): t for t in self.router.transports.values()}.values():
            await transport.close()
        await self.limiter.close()
        await self.router.close()
        await tracing_content.drain()  # spans whose content is still being masked end before the flush
        await asyncio.to_thread(self.tracing.shutdown)
        if self.cache is not None:
            await self.cache.close()
        if self.answers is not None:
            await self.answers.close()
        self.engine.dispose()


async def open_gateway(settings: Settings, config: GatewayConfig | None = None,
                       tracing: Tracing | None = None) -> Gateway:
    config = config or load_config(settings.config_path)
    tracing = tracing or tracing_from_env(os.environ)
    if settings.migrate:
        await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    await asyncio.to_thread(_apply_config_teams, engine, config)
    inject = tracing.inject if tracing.enabled else None
    native = OpenAICompatProvider(inject_trace=inject)
    await native.start()
    transports = {"native": native, "litellm": LiteLLMProvider(inject_trace=inject), "demo": DemoProvider()}
    prices = PriceMap()
    deployments = build_deployments(config, prices)
    router_settings = config.effective_router()
    # With Redis limits, usage-based routing counts every replica's tokens there; other strategies never read them.
    shared = (SharedMinuteTokens(config.limits) if config.limits.backend == "redis"
              and router_settings.routing_strategy in USAGE_STRATEGIES else None)
    router = Router(deployments, router_settings, transports, prices=prices, tracing=tracing, shared_tokens=shared)
    usage = UsageWriter(engine, batch_size=config.usage.batch_size, flush_interval_s=config.usage.flush_interval_s,
                        spool_dir=config.usage.spool_dir)
    await usage.start()
    guardrails = GuardrailEngine(config, router)
    await guardrails.start()
    link = RegistryLink(engine, config.registry, deployments)
    await link.start()
    gateway = Gateway(
        settings=settings, config=config, engine=engine, router=router, limiter=build_limiter(config.limits),
        usage=usage, keys=KeyCache(engine, config), metrics=Metrics(), guardrails=guardrails, registry=link,
        drain=Drain(config.server.shutdown_grace_s),
        prompts=await _open_prompts(config), tracing=tracing,
        cache=build_store(config.cache, config.limits) if config.cache.enabled else None,
        rag=SourceCatalog(engine, config.rag.refresh_s) if config.rag.enabled else None,
        answers=build_returned_answers(config.returned_answers, config.limits)
        if any(p.trust_returned_answers and p.input for p in config.guardrail_policies.values()) else None,
    )
    gateway.limiter.count_decisions(gateway.metrics.limit_decisions.labels("local"),
                                    gateway.metrics.limit_decisions.labels("redis"))
    gateway.metrics.registry.register(monitor_collector(engine))
    gateway.metrics.registry.register(CooldownCollector(router))
    fresh = {"registry": link.freshness} if link.active else {}
    if gateway.prompts is not None:
        fresh["prompts"] = gateway.prompts.freshness
    gateway.metrics.registry.register(SnapshotCollector(fresh))
    gateway.metrics.usage_quarantined.set_function(lambda: usage.quarantined)
    if config.usage_policy is not None:
        gateway.policy = PolicyEngine(config.usage_policy, engine)
        await gateway.policy.start()
        gateway.metrics.registry.register(ReviewBacklogCollector(engine))
    gateway.drain.install()
    if any(p.logging == "full" for p in config.guardrail_policies.values()):
        gateway.exchanges = ExchangeLogger(engine)
        await gateway.exchanges.start()
    # Expired exchanges are deleted on a schedule whether or not a policy still logs them.
    gateway._purge = asyncio.create_task(purge_loop(engine, 3600), name="exchange-purge")
    if settings.workers > 1 and config.limits.backend == "memory":
        log.warning("limits.backend is 'memory' with %d workers: each worker enforces its own limits; "
                    "use the redis backend so they agree", settings.workers)
    return gateway


def _apply_config_teams(engine: Engine, config: GatewayConfig) -> None:
    """Teams declared in the config are created or updated (the config wins for the fields it sets)."""
    for name, team in config.teams.items():
        upsert_team(engine, name, **team.model_dump(exclude_unset=True))


async def _open_prompts(config: GatewayConfig) -> PromptStore | None:
    settings = config.prompts
    if settings is None:
        return None
    if settings.remote is None and (settings.path is None or not settings.path.is_dir()):
        log.warning("prompt store off: folder %s does not exist", settings.path)
        return None
    store = PromptStore.from_config(settings)
    try:
        await store.start()
    except GitError as exc:
        # Prompt versions are commits: without a repository there is nothing to resolve.
        log.warning("prompt store off: %s is not in a Git repository (%s)", settings.path, exc.message)
        return None
    return store
