"""The pipeline's chat answer (a completion or one streamed chunk), typed where API adapters read it.

Lenient on purpose: this is an upstream's answer, already accepted by the pipeline, so a field a provider leaves
out or sets to null takes its default here rather than failing the answer at the last step."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Function(Answer):
    name: str | None = None
    arguments: str | None = None


class ToolCall(Answer):
    index: int | None = 0
    id: str | None = None
    function: Function = Function()


class Message(Answer):
    content: str | None = None
    tool_calls: list[ToolCall] | None = None


class Choice(Answer):
    index: int | None = 0
    message: Message = Message()
    delta: Message = Message()
    finish_reason: str | None = None


class Usage(Answer):
    prompt_tokens: int | None = 0
    completion_tokens: int | None = 0


class Chunk(Answer):
    """A chat completion, or one chunk of a streamed one."""

    id: str | None = ""
    choices: list[Choice] = []
    usage: Usage | None = None
