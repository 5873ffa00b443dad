"""The schema of a prompt file's front matter (strict: unknown keys are errors).

Variables and where their values come from
------------------------------------------
Every variable a template uses is declared with a `type` and a `source`:

- `source: caller` (the default): the application supplies the value in the request. Caller variables may only be
  used in `user` messages, never in `system` or `assistant` messages: the system prompt comes only from the store,
  so no request can rewrite the instructions. A caller value is data: it is inserted as text and never evaluated as
  template code (`{{ 7*7 }}` in a value renders literally).
- `source: store`: the value is the `default` written in the file (reviewed in the PR). Callers cannot override it.
- `source: gateway`: the gateway fills it from trusted server-side context (e.g. `today`, the caller's team), never
  from the request body.

Store and gateway variables may be used in any message.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

VariableType = Literal["string", "integer", "number", "boolean", "array", "object"]
VariableSource = Literal["caller", "store", "gateway"]
Role = Literal["system", "user", "assistant"]
Overridable = Literal[
    "model", "temperature", "max_tokens", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty"
]
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
NAME_RE = re.compile(NAME_PATTERN)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VariableSpec(_Strict):
    """One declared variable: its type, whether it is required, its default and where its value comes from."""

    type: VariableType
    description: str = ""
    source: VariableSource = "caller"
    required: bool | None = None
    """Defaults to true when no `default` is given."""
    default: JsonValue = None
    enum: tuple[str | int | float, ...] | None = None
    items: VariableType | None = None
    """Element type of an `array`."""
    max_length: Annotated[int, Field(gt=0)] | None = None
    """Longest string (characters) or array (items) accepted."""

    @property
    def has_default(self) -> bool:
        return "default" in self.model_fields_set

    @property
    def is_required(self) -> bool:
        return self.required if self.required is not None else not self.has_default

    @model_validator(mode="after")
    def _coherent(self) -> VariableSpec:
        if self.required and self.has_default:
            raise ValueError("a variable cannot be both `required: true` and have a `default`")
        if self.source == "store" and not self.has_default:
            raise ValueError("a `source: store` variable needs a `default` (its value)")
        if self.items is not None and self.type != "array":
            raise ValueError(f"`items` only applies to arrays, not to type {self.type!r}")
        if self.enum is not None and self.type not in ("string", "integer", "number"):
            raise ValueError(f"`enum` only applies to strings and numbers, not to type {self.type!r}")
        if self.max_length is not None and self.type not in ("string", "array"):
            raise ValueError(f"`max_length` only applies to strings and arrays, not to type {self.type!r}")
        return self


class Parameters(_Strict):
    """Default sampling parameters sent to the model (callers may override those listed in `allow_overrides`)."""

    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    max_tokens: Annotated[int, Field(gt=0)] | None = None
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    stop: tuple[str, ...] | None = None
    seed: int | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None


class ResponseFormat(_Strict):
    """The structured output the prompt asks for; `json_schema` carries a JSON Schema checked at load time."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: Literal["text", "json_object", "json_schema"]
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    json_schema: dict[str, JsonValue] | None = Field(default=None, alias="schema")
    strict: bool = True

    @model_validator(mode="after")
    def _schema_matches_type(self) -> ResponseFormat:
        if self.type == "json_schema":
            if self.json_schema is None or self.name is None:
                raise ValueError("`type: json_schema` needs a `name` and a `schema`")
            try:
                Draft202012Validator.check_schema(self.json_schema)
            except SchemaError as exc:
                raise ValueError(f"invalid JSON schema: {exc.message}") from None
        elif self.json_schema is not None:
            raise ValueError(f"`schema` is only allowed with `type: json_schema`, not {self.type!r}")
        return self

    def to_openai(self) -> dict[str, JsonValue]:
        """The OpenAI `response_format` request field."""
        if self.type != "json_schema":
            return {"type": self.type}
        return {
            "type": "json_schema",
            "json_schema": {"name": self.name, "schema": self.json_schema, "strict": self.strict},
        }


class PromptSpec(_Strict):
    """A prompt file's front matter."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    description: Annotated[str, Field(min_length=1)]
    owner: Annotated[str, Field(min_length=1)]
    team: Annotated[str, Field(min_length=1)]
    model: Annotated[str, Field(min_length=1)]
    parameters: Parameters = Parameters()
    variables: dict[str, VariableSpec] = {}
    response_format: ResponseFormat | None = None
    guardrail_policy: str | None = None
    allow_overrides: tuple[Overridable, ...] = ()

    @field_validator("variables")
    @classmethod
    def _identifier_names(cls, value: dict[str, VariableSpec]) -> dict[str, VariableSpec]:
        for name in value:
            if not name.isidentifier() or name.startswith("_"):
                raise ValueError(f"variable name {name!r} must be an identifier not starting with '_'")
        return value
