"""The pipeline's chat answer (a completion, one streamed chunk, or the error event a stream ends with), typed where
API adapters (Messages, completions, Responses) read it.

Lenient on purpose: this is an upstream's answer, already accepted by the pipeline, so a field a provider leaves
out or sets to null takes its default here rather than failing the answer at the last step."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator


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
    """A whole message (`message`) or a piece of one (`delta`)."""

    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCall] | None = None


class Choice(Answer):
    index: int | None = 0
    message: Message = Message()
    delta: Message = Message()
    finish_reason: str | None = None


class CachedTokens(Answer):
    cached_tokens: int | None = None


class ReasoningTokens(Answer):
    reasoning_tokens: int | None = None


class Usage(Answer):
    prompt_tokens: int | None = 0
    completion_tokens: int | None = 0
    prompt_tokens_details: CachedTokens | None = None
    completion_tokens_details: ReasoningTokens | None = None

    @property
    def cached_tokens(self) -> int:
        return (self.prompt_tokens_details or CachedTokens()).cached_tokens or 0

    @property
    def reasoning_tokens(self) -> int:
        return (self.completion_tokens_details or ReasoningTokens()).reasoning_tokens or 0


class ChatError(Answer):
    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None


class Chunk(Answer):
    """A chat completion, a `chat.completion.chunk`, or the error event a stream ends with."""

    id: str | None = ""
    choices: list[Choice] = []
    usage: Usage | None = None
    error: ChatError | None = None

    @field_validator("error", mode="before")
    @classmethod
    def _error_text(cls, value: object) -> object:
        # Some providers send the error as a bare string: it is still an error, not a malformed answer.
        return {"message": value} if isinstance(value, str) else value

    def first(self) -> Choice:
        """The first choice (index 0), or an empty one."""
        return next((c for c in self.choices if not c.index), Choice())
