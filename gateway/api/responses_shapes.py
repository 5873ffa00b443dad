"""The Responses API's request, typed: only its documented fields, each validated; any other field is a 400
naming it, so nothing a client sends reaches the pipeline unless this adapter translates it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

from gateway.schemas import ResponseFormat, bounded_schema, lists_only_for_tags


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Loose(BaseModel):
    """Shapes the openai SDK may send with fields Warden has no use for (`id`, `status`...): those are dropped."""

    model_config = ConfigDict(extra="ignore")


class InputText(Loose):
    type: Literal["input_text", "output_text"]
    text: str


class InputImage(Loose):
    type: Literal["input_image"]
    image_url: str = Field(min_length=1)
    detail: Literal["auto", "low", "high"] | None = None


class Refusal(Loose):
    type: Literal["refusal"]
    refusal: str


ContentPart = Annotated[InputText | InputImage | Refusal, Field(discriminator="type")]


class MessageItem(Loose):
    type: Literal["message"] = "message"
    role: Literal["user", "system", "developer", "assistant"]
    content: str | list[ContentPart]


class FunctionCallItem(Loose):
    type: Literal["function_call"]
    call_id: str = Field(min_length=1, max_length=256)
    name: str = Field(min_length=1, max_length=256)
    arguments: str


class FunctionCallOutputItem(Loose):
    type: Literal["function_call_output"]
    call_id: str = Field(min_length=1, max_length=256)
    output: str | list[InputText]

    def text(self) -> str:
        return self.output if isinstance(self.output, str) else "".join(p.text for p in self.output)


def _item_type(value: object) -> str:
    # Easy input messages (`{"role": ..., "content": ...}`) come without a `type`.
    found = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return found if isinstance(found, str) else "message"


InputItem = Annotated[
    Annotated[MessageItem, Tag("message")] | Annotated[FunctionCallItem, Tag("function_call")]
    | Annotated[FunctionCallOutputItem, Tag("function_call_output")],
    Discriminator(_item_type),
]


class FunctionTool(Strict):
    """The flat Responses shape of a function tool."""

    type: Literal["function"]
    name: str = Field(min_length=1, max_length=256)
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class BuiltinTool(BaseModel):
    """A tool the provider runs itself. Served only by deployments that speak the Responses API natively (the
    translation to chat completions has no such tools); its options go to that upstream as given. `mcp` is not
    among them: its server URL would be a client's choice of where the upstream connects."""

    model_config = ConfigDict(extra="allow")
    type: Literal["web_search", "web_search_preview", "file_search", "code_interpreter", "image_generation"]


Tool = Annotated[FunctionTool | BuiltinTool, Field(discriminator="type")]


class FunctionChoice(Strict):
    type: Literal["function"]
    name: str = Field(min_length=1, max_length=256)


class TextFormat(Strict):
    type: Literal["text", "json_object", "json_schema"]
    name: str | None = Field(default=None, max_length=64)
    schema_: Annotated[dict[str, Any] | None, AfterValidator(bounded_schema)] = Field(default=None, alias="schema")
    description: str | None = None
    strict: bool | None = None

    def response_format(self) -> ResponseFormat | None:
        """Chat completions' `response_format` (its validator refuses schemas with outside references)."""
        if self.type == "text":
            return None
        if self.type == "json_object":
            return ResponseFormat(type="json_object")
        spec = {"name": self.name or "response", "schema": self.schema_ or {}, "strict": self.strict,
                "description": self.description}
        return ResponseFormat(type="json_schema", json_schema={k: v for k, v in spec.items() if v is not None})


class TextConfig(Strict):
    format: TextFormat | None = None
    verbosity: Literal["low", "medium", "high"] | None = None


class Reasoning(Strict):
    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    summary: Literal["auto", "concise", "detailed"] | None = None
    """Accepted and not translated: chat completions return no reasoning summary."""


class ResponsesInput(Strict):
    """What a Responses request gives as the conversation (also all that `input_tokens` needs)."""

    model: str = Field(min_length=1, max_length=256)
    input: str | list[InputItem] = Field(default_factory=list)
    instructions: str | None = None
    tools: list[Tool] | None = None
    previous_response_id: str | None = Field(default=None, max_length=64)

    def builtin_tools(self) -> list[tuple[int, str]]:
        """(position, type) of each built-in tool."""
        return [(n, t.type) for n, t in enumerate(self.tools or ()) if isinstance(t, BuiltinTool)]

    def items(self) -> list[MessageItem | FunctionCallItem | FunctionCallOutputItem]:
        if isinstance(self.input, str):
            return [MessageItem(role="user", content=self.input)]
        return list(self.input)


class ResponsesRequest(ResponsesInput):
    """`POST /v1/responses`. Fields of OpenAI's API that Warden does not serve are refused by name."""

    tool_choice: Literal["auto", "none", "required"] | FunctionChoice | None = None
    parallel_tool_calls: bool | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_output_tokens: int | None = Field(default=None, ge=1)
    metadata: Annotated[dict[str, str | list[str]] | None, AfterValidator(lists_only_for_tags)] = None
    tags: list[str] | str | None = None
    """LiteLLM's routing tags (as `metadata.tags` too): which deployments of the model may serve the request."""
    user: str | None = Field(default=None, max_length=256)
    text: TextConfig | None = None
    stream: bool = False
    store: bool = True
    reasoning: Reasoning | None = None
    prompt_cache_key: str | None = Field(default=None, max_length=256)
    safety_identifier: str | None = Field(default=None, max_length=256)
    service_tier: Literal["auto", "default", "flex", "scale", "priority"] | None = None
    truncation: Literal["disabled"] | None = None
    """Only OpenAI's default: Warden does not drop items to fit a context window."""
    include: list[Literal["message.output_text.logprobs", "reasoning.encrypted_content"]] | None = None
    """Accepted and not translated: the answer has no logprobs and no reasoning items to include."""
