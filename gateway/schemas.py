"""OpenAI's request shapes, typed where Warden reads them.

Known fields are validated (a wrong type is a 400 naming the field). A field naming an endpoint, a credential,
a header or a callback is refused with a 400 naming it. What may reach a provider is decided by the allow-list
in `gateway/providers/parameters.py`: litellm sees only OpenAI's documented parameters; an OpenAI-compatible
upstream also gets unknown fields, as JSON body fields only. Warden's own extension fields (sent by the SDK
through `extra_body`) are taken out before the request goes upstream.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from gateway.errors import BadRequest
from gateway.providers.parameters import forbidden_field
from guardrails.schema_validation import schema_problem

# Warden's extensions: read by the pipeline, never sent upstream.
EXTENSION_FIELDS = frozenset({"prompt", "context", "documents", "warden", "cache"})


class CacheControl(BaseModel):
    """LiteLLM's per-request cache controls (`cache` in the body); its other keys (`ttl`, `namespace`) are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
    no_cache: bool = Field(default=False, alias="no-cache")
    no_store: bool = Field(default=False, alias="no-store")


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ContentPart(Open):
    type: str
    text: str | None = None


class Message(Open):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_call_id: str | None = None
    tool_calls: list[dict[str, Any]] | None = None

    def texts(self) -> list[tuple[int | None, str]]:
        """(part index or None, text) for every text this message carries."""
        if isinstance(self.content, str):
            return [(None, self.content)]
        if isinstance(self.content, list):
            return [(i, p.text) for i, p in enumerate(self.content) if p.type == "text" and p.text is not None]
        return []


class StreamOptions(Open):
    include_usage: bool = False


class FunctionDef(Open):
    name: str = Field(min_length=1)


class Tool(Open):
    type: Literal["function", "custom"] = "function"
    """Chat completions' documented tool types; others (`mcp`...) would make litellm dial a server itself."""
    function: FunctionDef | None = None
    custom: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _described(self) -> Tool:
        if getattr(self, self.type) is None:
            raise ValueError(f"a {self.type!r} tool needs a {self.type!r} object")
        return self


def bounded_schema(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A client's JSON schema, validated: refs outside the document would be fetched by a validator (SSRF, file
    reads), so they are refused up front, as are schemas too large or too deep."""
    problem = schema_problem(value) if value is not None else None
    if problem is not None:
        raise ValueError(problem)
    return value


def lists_only_for_tags(metadata: dict[str, str | list[str]] | None) -> dict[str, str | list[str]] | None:
    """LiteLLM's `metadata.tags` is a list (routing tags); every other metadata value is a string, as in OpenAI."""
    for key, value in (metadata or {}).items():
        if isinstance(value, list) and key != "tags":
            raise ValueError(f"metadata.{key} must be a string (only metadata.tags may be a list)")
    return metadata


class ResponseFormat(Open):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: Annotated[dict[str, Any] | None, AfterValidator(bounded_schema)] = None


class ChatRequest(Open):
    model: str = Field(min_length=1, max_length=256)  # the usage column; longer is refused before any work
    messages: list[Message] = []
    """At least one, except when the request names a stored prompt (checked by the pipeline)."""
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int | None = Field(default=None, ge=1, le=128)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    tools: list[Tool] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: ResponseFormat | None = None
    seed: int | None = None
    user: str | None = Field(default=None, max_length=256)
    metadata: Annotated[dict[str, str | list[str]] | None, AfterValidator(lists_only_for_tags)] = None
    cache: CacheControl | None = None

    @property
    def output_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def extension(self, name: str) -> Any:
        return (self.model_extra or {}).get(name)


class EmbeddingRequest(Open):
    model: str = Field(min_length=1, max_length=256)  # the usage column; longer is refused before any work
    input: str | list[str] | list[int] | list[list[int]]
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: int | None = Field(default=None, ge=1)
    user: str | None = Field(default=None, max_length=256)
    cache: CacheControl | None = None

    def texts(self) -> list[str]:
        if isinstance(self.input, str):
            return [self.input]
        return [t for t in self.input if isinstance(t, str)]


def parse_request(model: type[BaseModel], data: object) -> Any:
    """Validate a decoded JSON body; a bad field is a 400 that names it."""
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object", code="invalid_body")
    for name in sorted(filter(forbidden_field, data)):
        raise BadRequest(f"the field {name!r} may not be set by clients", param=name, code="forbidden_parameter")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise BadRequest(f"invalid value for {where!r}: {error['msg']}", param=where, code="invalid_value") from None
