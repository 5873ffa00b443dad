"""Records of a model's end of life and the two protocols the gateway plugs in (usage lookup, notifications)."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple, Protocol

from pydantic import Field

from registry.governance.records import Record
from registry.governance.types import DecommissionCriterion

NOTICE_MIN_DAYS = 30
NOTICE_MAX_DAYS = 60


class UsageStats(NamedTuple):
    last_request_at: datetime | None
    requests_last_n_days: int


class UsageLookup(Protocol):
    """Reads the gateway's usage table: when the model (or one version of it) was last called and how often recently."""

    def __call__(self, model_name: str, version: str | None = None) -> UsageStats: ...


class DecommissionNotice(Record):
    model: str
    version: str | None = None
    criteria: list[DecommissionCriterion]
    justification: str
    effective_on: date
    replacement: str | None
    stakeholders: list[str]


class Notifier(Protocol):
    """Delivers a decommissioning notice (the gateway supplies a webhook-backed implementation)."""

    def __call__(self, notice: DecommissionNotice) -> None: ...


class DecommissionStart(Record):
    criteria: list[DecommissionCriterion] = Field(min_length=1)
    justification: str = Field(min_length=1)
    effective_on: date
    replacement: str | None = Field(default=None, description="`model` or `model@version`; it must be servable")
    stakeholders: list[str] = Field(min_length=1)
    version: str | None = Field(default=None, description="Retire only this version (default: the whole model)")


class MigrationCheck(Record):
    checked_at: datetime
    last_request_at: datetime | None
    requests_last_n_days: int
    dependents: list[str]
    routing: list[str] = []
    ok: bool


class ArchiveIn(Record):
    location: str = Field(min_length=1)
    items: list[str] = Field(min_length=1)


class ArchiveRecord(ArchiveIn):
    archived_at: datetime
    retain_until: date


class PostMortem(Record):
    summary: str = Field(min_length=1)
    lessons: list[str] = []
    incidents: list[str] = []


class DecommissionState(Record):
    """Where the decommissioning of one model stands; each step fills its part."""

    start: DecommissionStart
    notified_at: datetime | None = None
    migration: MigrationCheck | None = None
    archive: ArchiveRecord | None = None
    cleaned_up_at: datetime | None = None
    postmortem: PostMortem | None = None
