"""The metadata a retrieved chunk may carry in `documents`, parsed strictly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.errors import BadRequest

Label = Annotated[str, Field(min_length=1, max_length=128)]


class ChunkMetadata(BaseModel):
    """`{"text": ..., "metadata": {...}}`: where the chunk came from, how it was made, and who may read it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_id: str | None = Field(default=None, min_length=1, max_length=128)
    chunk_id: str | None = Field(default=None, min_length=1, max_length=256)
    chunking: str | None = Field(default=None, max_length=128)
    """The chunking strategy (e.g. `recursive-512`)."""
    embedding_model: str | None = Field(default=None, max_length=256)
    embedding_version: str | None = Field(default=None, max_length=128)
    acl: list[Label] = Field(default_factory=list, max_length=64)
    """Groups that may read the chunk; empty: anyone."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """One document of the request: its position among the request's documents, text, and metadata."""

    field: str
    """`documents` or `context`."""
    position: int
    text: str
    meta: ChunkMetadata | None

    @property
    def ref(self) -> str:
        if self.meta is not None and self.meta.source_id and self.meta.chunk_id:
            return f"{self.meta.source_id}/{self.meta.chunk_id}"
        return f"{self.field}[{self.position}]"

    @property
    def embedding(self) -> tuple[str, str] | None:
        meta = self.meta
        if meta is None or not meta.embedding_model or not meta.embedding_version:
            return None
        return meta.embedding_model, meta.embedding_version


def parse_chunks(field: str, value: Any) -> list[Chunk | None]:
    """One entry per item of the field (None for items that carry no text, which the gateway ignores)."""
    items = value if isinstance(value, list) else [value]
    out: list[Chunk | None] = []
    for position, item in enumerate(items):
        if isinstance(item, str):
            out.append(Chunk(field, position, item, None))
        elif isinstance(item, dict) and isinstance(item.get("text") or item.get("content"), str):
            text = item.get("text") or item.get("content")
            out.append(Chunk(field, position, text, _metadata(field, position, item)))
        else:
            out.append(None)
    return out


def _metadata(field: str, position: int, item: dict[str, Any]) -> ChunkMetadata | None:
    raw = item.get("metadata")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BadRequest(f"invalid value for '{field}[{position}].metadata': expected an object, got "
                         f"{type(raw).__name__}", param=f"{field}[{position}].metadata")
    try:
        return ChunkMetadata.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise BadRequest(f"invalid value for '{field}[{position}].metadata.{where}': {error['msg']} "
                         f"(got {error.get('input')!r})", param=f"{field}[{position}].metadata.{where}") from None
