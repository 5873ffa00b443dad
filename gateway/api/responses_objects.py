"""The Response object Warden answers with, in the shape the openai SDK parses (`client.responses.create`)."""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from gateway.api import chat_answer
from gateway.api.responses_shapes import FunctionChoice, TextConfig, Tool

Status = Literal["in_progress", "completed", "incomplete", "failed"]


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


class OutputText(BaseModel):
    type: Literal["output_text"] = "output_text"
    text: str
    annotations: list[Any] = Field(default_factory=list)


class OutputRefusal(BaseModel):
    type: Literal["refusal"] = "refusal"
    refusal: str


class OutputMessage(BaseModel):
    type: Literal["message"] = "message"
    id: str = Field(default_factory=lambda: new_id("msg"))
    role: Literal["assistant"] = "assistant"
    status: Literal["in_progress", "completed", "incomplete"] = "completed"
    content: list[Annotated[OutputText | OutputRefusal, Field(discriminator="type")]] = Field(default_factory=list)


class OutputFunctionCall(BaseModel):
    type: Literal["function_call"] = "function_call"
    id: str = Field(default_factory=lambda: new_id("fc"))
    call_id: str
    name: str
    arguments: str = ""
    status: Literal["in_progress", "completed", "incomplete"] = "completed"


OutputItem = Annotated[OutputMessage | OutputFunctionCall, Field(discriminator="type")]


class InputTokensDetails(BaseModel):
    cached_tokens: int = 0
    cache_write_tokens: int = 0


class OutputTokensDetails(BaseModel):
    reasoning_tokens: int = 0


class Usage(BaseModel):
    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_tokens_details: InputTokensDetails = InputTokensDetails()
    output_tokens_details: OutputTokensDetails = OutputTokensDetails()

    @classmethod
    def of_chat(cls, usage: chat_answer.Usage | None) -> Usage:
        """The Responses usage of a chat answer's `usage` (zeros when the answer reported none)."""
        usage = usage or chat_answer.Usage()
        prompt, completion = usage.prompt_tokens or 0, usage.completion_tokens or 0
        return cls(input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion,
                   input_tokens_details=InputTokensDetails(cached_tokens=usage.cached_tokens),
                   output_tokens_details=OutputTokensDetails(reasoning_tokens=usage.reasoning_tokens))


class ResponseError(BaseModel):
    code: str
    message: str


class IncompleteDetails(BaseModel):
    reason: Literal["max_output_tokens", "content_filter"]


class ResponseObject(BaseModel):
    """One Response; `request` fields are echoed back as OpenAI does."""

    id: str = Field(default_factory=lambda: new_id("resp"))
    object: Literal["response"] = "response"
    created_at: int = Field(default_factory=lambda: int(time.time()))
    status: Status = "in_progress"
    model: str
    output: list[OutputItem] = Field(default_factory=list)
    error: ResponseError | None = None
    incomplete_details: IncompleteDetails | None = None
    instructions: str | None = None
    tools: list[Tool] = Field(default_factory=list)
    tool_choice: Literal["auto", "none", "required"] | FunctionChoice = "auto"
    parallel_tool_calls: bool = True
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    metadata: dict[str, str | list[str]] = Field(default_factory=dict)
    user: str | None = None
    text: TextConfig | None = None
    previous_response_id: str | None = None
    store: bool = True
    usage: Usage | None = None

    def json_body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
