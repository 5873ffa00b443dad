"""Where a model's predictions live when they are not ingested: a PostgreSQL table or a Parquet dataset.

Named under `sources:` in the monitor config; `warden monitor run` sketches the named source over each check's
window instead of reading the registry's sketches, and `warden monitor sketch --source NAME` prints one sketch.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from registry.monitoring.reference import ReferenceProfile

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SourceError(ValueError):
    """A source that cannot be sketched as configured (unknown table or column, wrong type...)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Columns(_Strict):
    columns: tuple[str, ...] = ()
    """Feature columns (named as in the reference); empty: every profiled feature."""
    prediction_column: str | None = None
    score_column: str | None = None
    time_column: str | None = None
    window_seconds: int | None = Field(default=None, gt=0)
    """`warden monitor sketch` without --since/--until reads this many seconds back from now (needs time_column)."""

    def feature_columns(self, profile: ReferenceProfile) -> dict[str, str]:
        """Profiled feature -> source column; the prediction and score map onto the reference's pseudo-features."""
        # Imported here: the monitor config (which names sources) stays free of numpy and pyarrow.
        from registry.monitoring.reference import PREDICTION_FEATURE, SCORE_FEATURE

        pseudo = {PREDICTION_FEATURE, SCORE_FEATURE}
        names = self.columns or tuple(n for n in profile.names if n not in pseudo)
        unknown = sorted(set(names) - set(profile.names))
        if unknown:
            raise SourceError(f"columns {unknown!r} are not in the reference profile {profile.names!r}")
        mapping = {n: n for n in names}
        for pseudo_name, column in ((PREDICTION_FEATURE, self.prediction_column), (SCORE_FEATURE, self.score_column)):
            if column is not None and pseudo_name in profile.names:
                mapping[pseudo_name] = column
        return mapping


class PostgresSource(_Columns):
    """A table in a PostgreSQL database; the sketch is computed by the database in one scan."""

    kind: Literal["postgres"]
    dsn_env: str
    """Name of the environment variable holding the DSN (the DSN is a secret: never in the file)."""
    table: str = Field(min_length=1, max_length=63)
    schema_name: str = Field(default="public", min_length=1, max_length=63, alias="schema")
    watermark_column: str | None = Field(default=None, min_length=1, max_length=63)
    """A NOT NULL column that only grows as rows are added (an id, an insert timestamp). Set, a repeated check of
    the same window reads only the rows past the last one it saw and merges them into the sketch kept in the
    registry (`monitoring_source_sketch`); rows must become visible in its order (see sources_pg_increments)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("dsn_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError(f"dsn_env must name an environment variable, got {value!r}")
        return value


class ParquetSource(_Columns):
    """A Parquet file, a directory of them, or a glob; streamed row group by row group."""

    kind: Literal["parquet"]
    path: str = Field(min_length=1)
    threads: int = Field(default=0, ge=0, le=64)
    """Row groups sketched at once (0: one per core)."""


Source = Annotated[PostgresSource | ParquetSource, Field(discriminator="kind")]


class SourceBinding(_Strict):
    """A model (optionally one version) whose predictions live in `source`."""

    model: str = Field(min_length=1)
    version: str | None = None
    source: Source

    def applies_to(self, model_name: str, model_version: str) -> bool:
        return self.model == model_name and self.version in (None, model_version)
