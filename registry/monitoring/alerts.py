"""Alerts: stored for every finding, de-duplicated, and sent to the webhooks whose level they reach."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlmodel import Session, select

from registry.monitoring.config import WebhookTarget
from registry.monitoring.levels import Level
from registry.monitoring.tables import AlertRecord
from registry.monitoring.timeutil import as_utc, utc_now

_EMOJI = {Level.INFO: ":information_source:", Level.WARNING: ":warning:", Level.CRITICAL: ":rotating_light:", Level.EMERGENCY: ":fire:"}


@dataclass(frozen=True, slots=True)
class Alert:
    """One finding about one model version; `check` names what found it (data_drift, decay:f1, ...)."""

    model_name: str
    model_version: str
    check: str
    level: Level
    message: str
    details: dict[str, float | str | bool | None] = field(default_factory=dict)


def slack_payload(alert: Alert, alert_id: int | None) -> dict[str, object]:
    """Slack-compatible incoming-webhook JSON: a fallback `text` and Block Kit `blocks`."""
    title = f"{_EMOJI.get(alert.level, '')} {alert.level.value.upper()}: {alert.model_name} {alert.model_version}"
    fields = [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in list(alert.details.items())[:10]]
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title.strip()[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{alert.check}*: {alert.message}"}},
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"warden alert #{alert_id}"}]})
    return {"text": f"{title.strip()} - {alert.check}: {alert.message}", "blocks": blocks}


def generic_payload(alert: Alert, alert_id: int | None, created_at: datetime) -> dict[str, object]:
    return {
        "type": "alert",
        "alert_id": alert_id,
        "model_name": alert.model_name,
        "model_version": alert.model_version,
        "check": alert.check,
        "level": alert.level.value,
        "message": alert.message,
        "details": alert.details,
        "created_at": created_at.isoformat(),
    }


@dataclass(frozen=True, slots=True)
class Delivery:
    """The stored alert and where it went."""

    alert_id: int
    suppressed: bool
    delivered: int
    failed: int


class AlertDispatcher:
    """Stores every alert; sends it unless the same model/version/check/level was sent within the window."""

    def __init__(self, targets: Sequence[WebhookTarget], dedup_window_seconds: int, http: httpx.Client | None = None) -> None:
        self._targets = tuple(targets)
        self._window = timedelta(seconds=dedup_window_seconds)
        self._client = http

    @property
    def _http(self) -> httpx.Client:
        # Opened on the first send: most ingest batches carry nothing to alert on.
        if self._client is None:
            self._client = httpx.Client()
        return self._client

    def dispatch(self, session: Session, alert: Alert, now: datetime | None = None) -> Delivery:
        moment = as_utc(now) if now else utc_now()
        suppressed = self._recently_sent(session, alert, moment)
        record = AlertRecord(
            model_name=alert.model_name,
            model_version=alert.model_version,
            check=alert.check,
            level=alert.level.value,
            message=alert.message,
            details=dict(alert.details),
            suppressed=suppressed,
            created_at=moment,
        )
        session.add(record)
        session.flush()
        if not suppressed:
            record.delivered, record.failed = self._send(alert, record.id, moment)
        return Delivery(int(record.id or 0), suppressed, record.delivered, record.failed)

    def _recently_sent(self, session: Session, alert: Alert, moment: datetime) -> bool:
        statement = select(AlertRecord.id).where(
            AlertRecord.model_name == alert.model_name,
            AlertRecord.model_version == alert.model_version,
            AlertRecord.check == alert.check,
            AlertRecord.level == alert.level.value,
            AlertRecord.suppressed == False,  # noqa: E712 - SQL expression, not a Python comparison
            AlertRecord.created_at > moment - self._window,
        )
        return session.exec(statement).first() is not None

    def _send(self, alert: Alert, alert_id: int | None, moment: datetime) -> tuple[int, int]:
        delivered = failed = 0
        for target in self._targets:
            if alert.level < target.min_level:
                continue
            body = slack_payload(alert, alert_id) if target.format == "slack" else generic_payload(alert, alert_id, moment)
            if post_json(self._http, target, body):
                delivered += 1
            else:
                failed += 1
        return delivered, failed


def post_json(http: httpx.Client, target: WebhookTarget, body: dict[str, object]) -> bool:
    """POST one payload; a failing webhook is counted, never raised, so one dead endpoint stops nothing."""
    try:
        response = http.post(target.url, json=body, timeout=target.timeout_seconds)
    except httpx.HTTPError:
        return False
    return response.is_success
