"""The pipeline's chat answer (a completion or one streamed chunk), typed where API adapters read it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Function(Answer):
    name: str | None = None
    arguments: str | None = None


class ToolCall(Answer):
    index: int = 0
    id: str | None = None
    function: Function = Function()


class Message(Answer):
    content: str | None = None
    tool_calls: list[ToolCall] | None = None


class Choice(Answer):
    index: int = 0
    message: Message = Message()
    delta: Message = Message()
    finish_reason: str | None = None


class Usage(Answer):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Chunk(Answer):
    """A chat completion, or one chunk of a streamed one."""

    id: str = ""
    choices: list[Choice] = []
    usage: Usage | None = None
