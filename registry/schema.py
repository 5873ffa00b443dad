"""Imports every table module so `SQLModel.metadata` holds the whole registry schema (for migrations)."""

from __future__ import annotations

from sqlmodel import SQLModel

import registry.eval_runs  # noqa: F401
import registry.exchanges  # noqa: F401
import registry.governance.tables  # noqa: F401
import registry.monitoring.tables  # noqa: F401
import registry.review_queue  # noqa: F401
import registry.rag.tables  # noqa: F401
import registry.stored_responses  # noqa: F401
import registry.tables  # noqa: F401
import registry.use_cases  # noqa: F401

metadata = SQLModel.metadata
