"""Acknowledging a monitoring alert: an entry on the model's audit chain, recorded as the acting key.

The alert row itself is never changed (the monitor's record stays as raised); who acknowledged it, and when, is read
back from the chain, so an acknowledgement is as tamper-evident as every other governance action.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from registry.governance.access import writable_model
from registry.governance.audit import append
from registry.governance.errors import Conflict, NotFound
from registry.governance.tables import GovAuditEntry
from registry.governance.types import Actor
from registry.monitoring.tables import AlertRecord

ACTION = "alert.acknowledge"


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)


class AckOut(BaseModel):
    alert_id: int
    model: str
    by: str
    at: datetime
    note: str | None = None


def _subject(model: str, alert_id: int) -> str:
    return f"model:{model}/alert:{alert_id}"


def acknowledge_alert(session: Session, actor: Actor, alert_id: int, data: AckIn) -> AckOut:
    """Who may change the model (its team, its owner, an admin) may acknowledge its alerts, once each."""
    alert = session.get(AlertRecord, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    model = writable_model(session, actor, alert.model_name)  # another team's alert reads as missing
    if acknowledgements(session, [alert]).get(alert_id) is not None:
        raise Conflict(f"alert {alert_id} is already acknowledged")
    entry = append(session, actor=actor.name, chain=model.name, action=ACTION, subject=_subject(model.name, alert_id),
                   after={"alert_id": alert_id, "check": alert.check, "level": alert.level, "note": data.note})
    return AckOut(alert_id=alert_id, model=model.name, by=entry.actor, at=entry.at, note=data.note)


def acknowledgements(session: Session, alerts: Sequence[AlertRecord]) -> dict[int, AckOut]:
    """The acknowledgement of each of `alerts` that has one, by alert id."""
    subjects = {_subject(a.model_name, a.id): a for a in alerts if a.id is not None}
    if not subjects:
        return {}
    rows = session.exec(select(GovAuditEntry).where(GovAuditEntry.action == ACTION,
                                                    col(GovAuditEntry.subject).in_(list(subjects))))
    out = {}
    for row in rows:
        alert = subjects[row.subject]
        note = (row.after or {}).get("note")
        out[alert.id] = AckOut(alert_id=alert.id, model=alert.model_name, by=row.actor, at=row.at,  # type: ignore[arg-type]
                               note=note if isinstance(note, str) else None)
    return out
