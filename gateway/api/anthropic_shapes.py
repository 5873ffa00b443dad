"""Anthropic's Messages request, typed, and its translation into a chat-completions body for the pipeline.

An allow-list: only the documented fields below are read and translated. Anything else a client sends
(`cache_control`, `thinking`, `top_k`, `service_tier`, beta fields) is dropped, never forwarded, because the
pipeline's request is built here field by field. A block or tool type Warden cannot translate is a 400 naming it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.errors import BadRequest
from gateway.pipeline.adapters import chat_json
from gateway.pipeline.authenticate import PROMPT_PREFIX


class Shape(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TextBlock(Shape):
    type: Literal["text"]
    text: str


class ImageSource(Shape):
    type: Literal["base64"]
    """Only inline images: a URL source would make the provider (or litellm) fetch it from the gateway."""
    media_type: Literal["image/jpeg", "image/png", "image/gif", "image/webp"]
    data: str


class ImageBlock(Shape):
    type: Literal["image"]
    source: ImageSource

    def part(self) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": f"data:{self.source.media_type};base64,{self.source.data}"}}


class ToolUseBlock(Shape):
    type: Literal["tool_use"]
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    input: dict[str, Any]


class ToolResultBlock(Shape):
    type: Literal["tool_result"]
    tool_use_id: str = Field(min_length=1)
    content: str | list[Annotated[TextBlock | ImageBlock, Field(discriminator="type")]] = ""
    is_error: bool = False


class ThinkingBlock(Shape):
    """Earlier reasoning sent back with the history: accepted and left out (chat completions has no slot for it)."""

    type: Literal["thinking", "redacted_thinking"]


Block = Annotated[TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock, Field(discriminator="type")]


class InputMessage(Shape):
    role: Literal["user", "assistant"]
    content: str | list[Block]


class ToolDef(Shape):
    type: Literal["custom"] = "custom"
    """Client tools only; Anthropic's server tools (web search, code execution...) run at Anthropic."""
    name: str = Field(min_length=1, max_length=128)
    description: str | None = None
    input_schema: dict[str, Any]


class ToolChoice(Shape):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class Metadata(Shape):
    user_id: str | None = Field(default=None, max_length=256)
    tags: list[str] | str | None = None
    """LiteLLM's routing tags (as a top-level `tags` too): which deployments of the model may serve the request."""


class MessagesRequest(Shape):
    model: str = Field(min_length=1, max_length=256)
    max_tokens: int = Field(ge=1)
    messages: list[InputMessage] = Field(min_length=1)
    system: str | list[TextBlock] | None = None
    stop_sequences: list[str] | None = None
    stream: bool = False
    temperature: float | None = Field(default=None, ge=0, le=1)
    top_p: float | None = Field(default=None, ge=0, le=1)
    tools: list[ToolDef] | None = None
    tool_choice: ToolChoice | None = None
    metadata: Metadata | None = None
    tags: list[str] | str | None = None
    # Warden's own extensions (README), checked by the pipeline as on chat completions.
    prompt: dict[str, Any] | None = None
    documents: str | list[str | dict[str, Any]] | None = None
    context: str | list[str | dict[str, Any]] | None = None

    @property
    def stored_prompt(self) -> bool:
        return self.model.startswith(PROMPT_PREFIX) or self.prompt is not None


class CountTokensRequest(MessagesRequest):
    max_tokens: int = 1  # not part of a count request


_BRANCHES = frozenset({"str", "int", "float", "bool", "list", "dict"})
"""The names pydantic gives a union's alternatives in an error's location: not part of the field's path."""


def parse(kind: type[MessagesRequest], body: bytes) -> MessagesRequest:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object", code="invalid_body")
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        # The deepest error is the telling one: `content` as a list of blocks says which block is wrong, while
        # its string alternative only says the list is not a string.
        error = max(exc.errors(), key=lambda e: len(e["loc"]))
        where = ".".join(str(part) for part in error["loc"] if str(part) not in _BRANCHES and "[" not in str(part))
        got = f" (got {error['input']!r:.80})" if error["type"] != "missing" else ""
        raise BadRequest(f"invalid value for {where!r}: {error['msg']}{got}", param=where) from None


def chat_body(request: MessagesRequest) -> dict[str, Any]:
    """The chat-completions body the pipeline runs, with the same meaning as the Messages request."""
    messages: list[dict[str, Any]] = []
    if request.system:
        system = request.system if isinstance(request.system, str) else "\n\n".join(b.text for b in request.system)
        messages.append({"role": "system", "content": system})
    for message in request.messages:
        messages.extend(_user(message) if message.role == "user" else [_assistant(message)])
    body: dict[str, Any] = {"model": request.model, "messages": messages}
    if not request.stored_prompt:  # a stored prompt sets its own (and says whether a caller may change it)
        body["max_tokens"] = request.max_tokens
    for name, value in (("temperature", request.temperature), ("top_p", request.top_p),
                        ("stop", request.stop_sequences), ("user", request.metadata and request.metadata.user_id),
                        ("prompt", request.prompt), ("documents", request.documents), ("context", request.context),
                        ("tags", request.tags), ("metadata", request.metadata and _tags_only(request.metadata))):
        if value is not None:
            body[name] = value
    if request.stream:
        body["stream"], body["stream_options"] = True, {"include_usage": True}
    if request.tools:
        body["tools"] = [{"type": "function", "function": {"name": t.name, "parameters": t.input_schema,
                                                           **({"description": t.description} if t.description else {})}}
                         for t in request.tools]
    if request.tool_choice is not None:
        body.update(_tool_choice(request.tool_choice))
    return body


def _tags_only(metadata: Metadata) -> dict[str, Any] | None:
    """Of Anthropic's metadata only the routing tags go on (the user id is the chat request's `user`)."""
    return None if metadata.tags is None else {"tags": metadata.tags}


def _user(message: InputMessage) -> list[dict[str, Any]]:
    """Tool results become `tool` messages (they must follow the assistant's calls); the rest, one user message."""
    if isinstance(message.content, str):
        return [{"role": "user", "content": message.content}]
    out: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for block in message.content:
        if isinstance(block, TextBlock):
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append(block.part())
        elif isinstance(block, ToolResultBlock):
            out.append({"role": "tool", "tool_call_id": block.tool_use_id, "content": _result_text(block)})
            # A tool message carries text only: images a tool returned go to the model in the user turn.
            parts.extend(b.part() for b in block.content if isinstance(b, ImageBlock))
        elif isinstance(block, ToolUseBlock):
            raise BadRequest("a 'tool_use' block is only valid in an assistant message", param="messages")
    if parts:
        out.append({"role": "user", "content": parts})
    return out


def _result_text(block: ToolResultBlock) -> str:
    text = block.content if isinstance(block.content, str) else "\n".join(
        b.text for b in block.content if isinstance(b, TextBlock))
    return f"Error: {text}" if block.is_error else text


def _assistant(message: InputMessage) -> dict[str, Any]:
    if isinstance(message.content, str):
        return {"role": "assistant", "content": message.content}
    texts = [b.text for b in message.content if isinstance(b, TextBlock)]
    calls = [{"id": b.id, "type": "function",
              "function": {"name": b.name, "arguments": chat_json(b.input).decode()}}
             for b in message.content if isinstance(b, ToolUseBlock)]
    if any(isinstance(b, (ImageBlock, ToolResultBlock)) for b in message.content):
        raise BadRequest("an assistant message may carry only 'text', 'tool_use' and 'thinking' blocks",
                         param="messages")
    out: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        out["tool_calls"] = calls
    return out


def _tool_choice(choice: ToolChoice) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if choice.type == "tool":
        if not choice.name:
            raise BadRequest("tool_choice of type 'tool' needs a 'name'", param="tool_choice.name")
        out["tool_choice"] = {"type": "function", "function": {"name": choice.name}}
    else:
        out["tool_choice"] = {"auto": "auto", "any": "required", "none": "none"}[choice.type]
    if choice.disable_parallel_tool_use:
        out["parallel_tool_calls"] = False
    return out
