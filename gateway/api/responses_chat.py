"""What the Responses adapter reads of the pipeline's chat answers: a completion, or one streamed chunk, typed.
Unknown fields are ignored; a missing one reads as empty (a chat answer is the pipeline's, already checked)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from gateway.api.responses_objects import InputTokensDetails, OutputTokensDetails, Usage


class Reader(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ChatFunction(Reader):
    name: str | None = None
    arguments: str | None = None


class ChatToolCall(Reader):
    index: int | None = None
    id: str | None = None
    function: ChatFunction = ChatFunction()


class ChatMessage(Reader):
    """A whole message (`message`) or a piece of one (`delta`)."""

    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChatToolCall] | None = None


class ChatChoice(Reader):
    index: int | None = None
    message: ChatMessage = ChatMessage()
    delta: ChatMessage = ChatMessage()
    finish_reason: str | None = None


class _Cached(Reader):
    cached_tokens: int | None = None


class _Reasoning(Reader):
    reasoning_tokens: int | None = None


class ChatUsage(Reader):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_tokens_details: _Cached | None = None
    completion_tokens_details: _Reasoning | None = None

    def usage(self) -> Usage:
        prompt, completion = self.prompt_tokens or 0, self.completion_tokens or 0
        cached = (self.prompt_tokens_details or _Cached()).cached_tokens or 0
        reasoning = (self.completion_tokens_details or _Reasoning()).reasoning_tokens or 0
        return Usage(input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion,
                     input_tokens_details=InputTokensDetails(cached_tokens=cached),
                     output_tokens_details=OutputTokensDetails(reasoning_tokens=reasoning))


class ChatError(Reader):
    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None


class ChatAnswer(Reader):
    """A chat completion, a `chat.completion.chunk`, or the error event a stream ends with."""

    choices: list[ChatChoice] = []
    usage: ChatUsage | None = None
    error: ChatError | None = None

    def first(self) -> ChatChoice:
        return next((c for c in self.choices if not c.index), ChatChoice())
