"""Governance behind the monitoring protocols: risk tiers, the audit trail, alias rollback and the list of LLMs.

Every adapter works in its own transaction, or in the monitoring run's once `bind(session)` (the runner binds them),
so a rollback, its audit entries and the alerts behind it commit together. A model governance does not know is
left alone: no tier (the configured default applies), no audit entry, no alias, exactly as without governance.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Self

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.db import session_scope
from registry.governance import Actor, tier_policy
from registry.governance import audit as gov_audit
from registry.governance import versions as gov_versions
from registry.governance.policy import DEFAULT_POLICY, PolicyTable
from registry.governance.rollout import CANDIDATE_STATUSES, RolloutPlan, get_rollout, set_rollout
from registry.governance.tables import GovAlias, GovAuditEntry, GovModel, GovModelVersion, GovRollout
from registry.governance.types import Cadence, Severity
from registry.monitoring.config import MonitorConfig, TierSchedule
from registry.monitoring.levels import Level
from registry.monitoring.usage_source import UsageScope

MONITOR_ACTOR = Actor(name="monitor", admin=True)
ROLLBACK_ALIASES = ("production", "champion")
ROLLBACK_ACTION = "model.alias.rollback"
_CADENCE_DAYS: dict[Cadence, int | None] = {"weekly": 7, "monthly": 30, "quarterly": 91, "ad_hoc": None}
_SEVERITY_LEVEL: dict[Severity, Level] = {"info": Level.INFO, "warning": Level.WARNING, "critical": Level.CRITICAL}


@dataclass(slots=True)
class _Link:
    engine: Engine
    session: Session | None = None

    def bind(self, session: Session) -> Self:
        return replace(self, session=session)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        if self.session is not None:
            yield self.session
            return
        with session_scope(self.engine) as session:
            yield session


def _model(session: Session, name: str) -> GovModel | None:
    return session.exec(select(GovModel).where(GovModel.name == name)).first()


def _tier(model: GovModel) -> int:
    # Governance holds an unclassified model to the strictest tier until it is classified; so does monitoring.
    return model.risk_tier or 1


@dataclass(slots=True)
class GovernanceTierLookup(_Link):
    """`TierLookup`: the model's current risk tier in the inventory, None when governance does not know it."""

    def __call__(self, model_name: str) -> int | None:
        with self._session() as session:
            model = _model(session, model_name)
            return None if model is None else _tier(model)


@dataclass(slots=True)
class GovernanceAuditSink(_Link):
    """`AuditSink`: monitoring actions go to the model's hash chain under the governance identity `actor`.

    Alerts are kept when they reach the tier's `alert_severity` (Emergency always), so the trail holds escalations,
    not every wobble. Subjects arrive as `model@version` or `model@alias` and are stored as `model:...`.
    """

    actor: str = MONITOR_ACTOR.name
    person: str | None = None

    def record(
        self,
        actor: str,
        action: str,
        subject: str,
        before: Mapping[str, object] | None,
        after: Mapping[str, object] | None,
    ) -> None:
        name = subject.removeprefix("model:").split("@", 1)[0]
        with self._session() as session:
            model = _model(session, name)
            if model is None or not self._escalated(model, action, after):
                return
            gov_audit.append(
                session,
                actor=self.actor,
                person=self.person,
                chain=model.name,
                action=action,
                subject=f"model:{subject.removeprefix('model:')}",
                before=dict(before) if before is not None else None,
                after=dict(after) if after is not None else None,
            )

    @staticmethod
    def _escalated(model: GovModel, action: str, after: Mapping[str, object] | None) -> bool:
        if action != "monitor.alert" or after is None:
            return True
        threshold = _SEVERITY_LEVEL[tier_policy(_tier(model)).monitoring.alert_severity]  # type: ignore[arg-type]
        return Level(str(after.get("level", "none"))) >= threshold


@dataclass(slots=True)
class GovernanceAliasSwitcher(_Link):
    """`AliasSwitcher` over governance aliases; every move goes through the governance API, so it is audited.

    Aliases in `linked` that pointed at the same version move together: rolling back `production` also rolls back
    `champion`, the alias the gateway serves by default. With `pin_rollout`, the gateway's rollout plan becomes
    blue-green with the new target live and the old one idle: the gateway picks deployments by plan, not by alias,
    so without this a canary or an unplanned model would keep sending traffic to the failing version.
    """

    actor: Actor = MONITOR_ACTOR
    linked: tuple[str, ...] = ROLLBACK_ALIASES
    pin_rollout: bool = True

    def serving_alias(self, model_name: str, alias: str) -> str:
        with self._session() as session:
            return _serving_alias(session, model_name, alias)

    def current_version(self, model_name: str, alias: str) -> str | None:
        with self._session() as session:
            return _alias_target(session, model_name, _serving_alias(session, model_name, alias))

    def previous_version(self, model_name: str, alias: str) -> str | None:
        """The latest earlier target of the alias still in production, skipping versions the monitor rolled back
        from; else the most recent other production version."""
        with self._session() as session:
            model = _model(session, model_name)
            if model is None:
                return None
            alias = _serving_alias(session, model_name, alias)
            current = _alias_target(session, model_name, alias)
            rejected = {current} | _rolled_back_from(session, model_name)
            live = _production_versions(session, model)
            for version in _alias_history(session, model_name, alias):
                if version not in rejected and version in live:
                    return version
            return next((v for v in live if v not in rejected), None)

    def set_alias(self, model_name: str, alias: str, version: str) -> None:
        with self._session() as session:
            alias = _serving_alias(session, model_name, alias)
            current = _alias_target(session, model_name, alias)
            moving = [alias] + [
                a for a in self.linked if a != alias and current and _alias_target(session, model_name, a) == current
            ]
            if self.pin_rollout and current is not None and current != version:
                self._pin(session, model_name, live=version, idle=current)
            for name in moving:
                if _alias_target(session, model_name, name) != version:  # pinning may have moved it already
                    gov_versions.set_alias(session, self.actor, model_name, name, version)

    def withdraw(self, model_name: str, version: str) -> str | None:
        """End a canary or shadow whose candidate is `version`: blue-green with the stable version live."""
        with self._session() as session:
            model = _model(session, model_name)
            plan = None if model is None else get_rollout(session, self.actor, model_name)
            if plan is None or plan.strategy == "blue_green" or plan.candidate != version:
                return None
            self._pin(session, model_name, live=plan.stable, idle=version)
            return plan.stable

    def _pin(self, session: Session, model_name: str, live: str, idle: str) -> None:
        model = _model(session, model_name)
        statuses = {} if model is None else _statuses(session, model)
        if statuses.get(live) != "production" or statuses.get(idle) not in CANDIDATE_STATUSES["blue_green"]:
            return  # governance would refuse the plan; the alias move alone still happens
        existing = get_rollout(session, self.actor, model_name)
        plan = RolloutPlan(
            strategy="blue_green", stable=live, candidate=idle, alias=existing.alias if existing else "champion"
        )
        set_rollout(session, self.actor, model_name, plan)


@dataclass(slots=True)
class GovernanceCatalog(_Link):
    """`UsageCatalog`: governance's active `llm` models, each scoped to the version its serving alias points at
    (all versions when it has none)."""

    aliases: tuple[str, ...] = ROLLBACK_ALIASES

    def llm_scopes(self) -> list[UsageScope]:
        with self._session() as session:
            models = session.exec(
                select(GovModel).where(GovModel.kind == "llm", GovModel.status == "active").order_by(col(GovModel.name))
            )
            scopes = []
            for model in models:
                version = next((v for a in self.aliases if (v := _alias_target(session, model.name, a))), None)
                scopes.append(
                    UsageScope(model.name, version or "*", "registry_model", model.name, registry_version=version)
                )
            return scopes


def _serving_alias(session: Session, model_name: str, alias: str) -> str:
    """The alias the gateway serves the model through: its rollout plan's when it has one, else `alias`."""
    model = _model(session, model_name)
    row = None if model is None else session.get(GovRollout, model.id)
    return alias if row is None else RolloutPlan.model_validate(row.plan).alias


def _alias_target(session: Session, model_name: str, alias: str) -> str | None:
    query = (
        select(GovModelVersion.version)
        .join(GovAlias, col(GovAlias.version_id) == col(GovModelVersion.id))
        .join(GovModel, col(GovModel.id) == col(GovAlias.model_id))
        .where(GovModel.name == model_name, GovAlias.alias == alias)
    )
    return session.exec(query).first()


def _statuses(session: Session, model: GovModel) -> dict[str, str]:
    query = select(GovModelVersion.version, GovModelVersion.status).where(GovModelVersion.model_id == model.id)
    return dict(session.exec(query).all())


def _production_versions(session: Session, model: GovModel) -> list[str]:
    query = (
        select(GovModelVersion.version)
        .where(GovModelVersion.model_id == model.id, GovModelVersion.status == "production")
        .order_by(col(GovModelVersion.status_changed_at).desc(), col(GovModelVersion.id).desc())
    )
    return list(session.exec(query))


def _chain_entries(session: Session, model_name: str, action: str, subject: str) -> list[GovAuditEntry]:
    query = (
        select(GovAuditEntry)
        .where(GovAuditEntry.chain == model_name, GovAuditEntry.action == action, GovAuditEntry.subject == subject)
        .order_by(col(GovAuditEntry.seq).desc())
    )
    return list(session.exec(query))


def _alias_history(session: Session, model_name: str, alias: str) -> list[str]:
    """Versions the alias pointed at, most recent first, read from the audit trail of its moves."""
    seen: list[str] = []
    for entry in _chain_entries(session, model_name, "alias.set", f"model:{model_name}#{alias}"):
        for record in (entry.after, entry.before):
            version = (record or {}).get("version")
            if isinstance(version, str) and version not in seen:
                seen.append(version)
    return seen


def _rolled_back_from(session: Session, model_name: str) -> set[str]:
    """Versions traffic was taken off, whichever alias the rollback was recorded under (the configured one or the
    rollout plan's), so the monitor never rolls back onto a version it fled."""
    query = select(GovAuditEntry).where(GovAuditEntry.chain == model_name, GovAuditEntry.action == ROLLBACK_ACTION)
    return {str(e.before["version"]) for e in session.exec(query) if e.before and "version" in e.before}


def policy_tiers(config: MonitorConfig, table: PolicyTable = DEFAULT_POLICY) -> dict[int, TierSchedule]:
    """Schedules from the governance tier policies: run every `monitoring.frequency`, look back at least that far,
    re-train on `retraining.cadence`; whether silence is an outage stays the monitoring config's call."""
    tiers = {}
    for tier, policy in table.tiers.items():
        base = config.tiers.get(tier)
        every = policy.monitoring.interval_seconds
        tiers[tier] = TierSchedule(
            every_seconds=every,
            lookback_seconds=max(every, base.lookback_seconds if base else every),
            retrain_every_days=_CADENCE_DAYS[policy.retraining.cadence],
            expects_traffic=base.expects_traffic if base else tier <= 2,
            emergency_drop=base.emergency_drop if base else None,
            emergency_error_rate=base.emergency_error_rate if base else None,
        )
    return tiers


def governed_config(config: MonitorConfig, table: PolicyTable = DEFAULT_POLICY) -> MonitorConfig:
    """The config with governance's schedules and audited alerts, except where the config sets them itself."""
    update: dict[str, object] = {}
    if "tiers" not in config.model_fields_set:
        update["tiers"] = policy_tiers(config, table)
    if "audit_alerts" not in config.actions.model_fields_set:
        update["actions"] = config.actions.model_copy(update={"audit_alerts": True})
    return config.model_copy(update=update)


@dataclass(frozen=True, slots=True)
class GovernanceHooks:
    """The four adapters over one engine, ready for a `MonitorContext`."""

    tier_lookup: GovernanceTierLookup
    audit: GovernanceAuditSink
    switcher: GovernanceAliasSwitcher
    catalog: GovernanceCatalog


def governance_hooks(engine: Engine) -> GovernanceHooks:
    return GovernanceHooks(
        GovernanceTierLookup(engine),
        GovernanceAuditSink(engine),
        GovernanceAliasSwitcher(engine),
        GovernanceCatalog(engine),
    )
