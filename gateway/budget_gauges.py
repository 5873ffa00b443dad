"""What is left of each team's budget, as gauges read from the limiter when /metrics is scraped.

The teams are those whose keys made a request since this process started, with the budget rules their keys carry
from the registry: the series are bounded by the registry's teams, never by anything a client sends. Reading at
scrape time keeps the request path free of limiter calls.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Gauge

from gateway.limits.base import BudgetRule, Limiter, LimiterUnavailable

log = logging.getLogger("warden")


class BudgetGauges:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._remaining = Gauge("warden_team_budget_remaining_usd", "USD left in a team's budget this period",
                                ["team", "period"], registry=registry)
        self._limit = Gauge("warden_team_budget_limit_usd", "A team's budget per period in USD",
                            ["team", "period"], registry=registry)
        self._rules: dict[str, BudgetRule] = {}

    def note(self, budgets: tuple[BudgetRule, ...]) -> None:
        """Called per request: the latest rule wins, so a changed limit shows at the next scrape."""
        for rule in budgets:
            if rule.scope == "team":
                self._rules[rule.id] = rule

    async def refresh(self, limiter: Limiter) -> None:
        for rule in list(self._rules.values()):
            try:
                spent = await limiter.spent(rule)
            except LimiterUnavailable:
                log.warning("budget gauges: the limiter is unavailable; team %s keeps its last value", rule.subject)
                continue
            self._limit.labels(rule.subject, rule.period).set(rule.limit_usd)
            self._remaining.labels(rule.subject, rule.period).set(max(0.0, rule.limit_usd - spent))
