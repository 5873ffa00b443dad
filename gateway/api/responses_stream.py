"""A chat stream from the pipeline, re-told as the Responses API's events.

The pipeline's stream is already checked, restored and accounted for (its usage row is written when it ends);
this only renames what it says: text deltas become `response.output_text.delta` on a message item, tool-call
deltas `response.function_call_arguments.delta` on function-call items, the end `response.completed` with the
usage. An error the pipeline reports mid-stream (a guardrail block, an upstream cut) becomes `response.failed`
followed by an `error` event, which the openai SDK raises as an `APIError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson

from gateway.api.chat_answer import ChatError, Chunk, ToolCall
from gateway.api.chat_answer import Usage as ChatUsage
from gateway.api.responses_objects import (
    OutputFunctionCall,
    OutputItem,
    OutputMessage,
    OutputText,
    ResponseError,
    ResponseObject,
    Usage,
)
from gateway.api.responses_translate import finished
from gateway.pipeline.streaming import DONE, SseStream

OnComplete = Callable[[ResponseObject], Awaitable[ResponseObject]]


class ResponsesStream:
    """The body of a streamed Response; `abandon` is the pipeline stream's (see `gateway.api.sse`)."""

    def __init__(self, chat: SseStream, response: ResponseObject, on_complete: OnComplete) -> None:
        self._chat, self._response, self._on_complete = chat, response, on_complete
        self._sequence = 0
        self._output: dict[int, OutputItem] = {}
        self._text: OutputMessage | None = None
        self._calls: dict[int, int] = {}
        self._finish: str | None = None
        self._usage = ChatUsage()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._events()

    async def abandon(self) -> None:
        await self._chat.abandon()

    async def _events(self) -> AsyncIterator[bytes]:
        yield self._event("response.created", response=self._response.json_body())
        yield self._event("response.in_progress", response=self._response.json_body())
        chat = aiter(self._chat)
        try:
            async for raw in chat:
                for event in await self._retell(raw):
                    yield event
        finally:
            # A client gone mid-stream: the pipeline's stream is closed now (its usage row says so), not when
            # the garbage collector gets to it.
            await chat.aclose()  # type: ignore[attr-defined]

    async def _retell(self, raw: bytes) -> list[bytes]:
        if raw == DONE:
            done = finished(self._response, list(self._output.values()), self._finish)
            closing = self._close_items()
            done = await self._on_complete(done.model_copy(update={"usage": Usage.of_chat(self._usage)}))
            return [*closing, self._event(f"response.{done.status}", response=done.json_body())]
        chunk = Chunk.model_validate_json(raw.removeprefix(b"data: "))
        if chunk.error is not None:
            return self._failed(chunk.error)
        self._usage = chunk.usage or self._usage
        if not chunk.choices:
            return []
        choice = chunk.first()  # a Response has one answer
        events = self._text_delta(choice.delta.content) if choice.delta.content else []
        for call in choice.delta.tool_calls or ():
            events += self._call_delta(call)
        self._finish = choice.finish_reason or self._finish
        return events

    def _text_delta(self, text: str) -> list[bytes]:
        events = []
        if self._text is None:
            self._text = OutputMessage(status="in_progress")
            index = self._add(self._text)
            events.append(self._event("response.output_item.added", output_index=index,
                                      item=self._text.model_dump(mode="json")))
            self._text.content.append(OutputText(text=""))
            events.append(self._event("response.content_part.added", **self._where(self._text),
                                      part=OutputText(text="").model_dump(mode="json")))
        part = self._text.content[0]
        assert isinstance(part, OutputText)
        part.text += text
        events.append(self._event("response.output_text.delta", **self._where(self._text), delta=text, logprobs=[]))
        return events

    def _call_delta(self, call: ToolCall) -> list[bytes]:
        position = call.index or 0
        events = []
        if position not in self._calls:
            item = OutputFunctionCall(call_id=call.id or "", name=call.function.name or "", status="in_progress")
            self._calls[position] = self._add(item)
            events.append(self._event("response.output_item.added", output_index=self._calls[position],
                                      item=item.model_dump(mode="json")))
        item = self._output[self._calls[position]]
        assert isinstance(item, OutputFunctionCall)
        if call.function.arguments:
            item.arguments += call.function.arguments
            events.append(self._event("response.function_call_arguments.delta", item_id=item.id,
                                      output_index=self._calls[position], delta=call.function.arguments))
        return events

    def _close_items(self) -> list[bytes]:
        events = []
        status = "incomplete" if self._finish in ("length", "content_filter") else "completed"
        for index, item in self._output.items():
            item.status = status
            if isinstance(item, OutputMessage):
                part = item.content[0]
                assert isinstance(part, OutputText)
                where = self._where(item)
                events.append(self._event("response.output_text.done", **where, text=part.text, logprobs=[]))
                events.append(self._event("response.content_part.done", **where, part=part.model_dump(mode="json")))
            else:
                events.append(self._event("response.function_call_arguments.done", item_id=item.id,
                                          output_index=index, name=item.name, arguments=item.arguments))
            events.append(self._event("response.output_item.done", output_index=index,
                                      item=item.model_dump(mode="json")))
        return events

    def _failed(self, error: ChatError) -> list[bytes]:
        code, message = error.code or "error", error.message or "the response failed"
        failed = self._response.model_copy(update={
            "status": "failed", "error": ResponseError(code=code, message=message), "usage": Usage.of_chat(self._usage),
            "output": list(self._output.values())})
        # The `error` object makes the openai SDK raise, as it does for a chat stream's error event.
        body = {"message": message, "type": error.type or "api_error", "param": error.param, "code": code}
        return [self._event("response.failed", response=failed.json_body()),
                self._event("error", code=code, message=message, param=error.param, error=body)]

    def _add(self, item: OutputItem) -> int:
        index = len(self._output)
        self._output[index] = item
        return index

    def _where(self, message: OutputMessage) -> dict[str, Any]:
        index = next(i for i, item in self._output.items() if item is message)
        return {"item_id": message.id, "output_index": index, "content_index": 0}

    def _event(self, kind: str, **fields: Any) -> bytes:
        body = orjson.dumps({"type": kind, "sequence_number": self._sequence, **fields})
        self._sequence += 1
        return b"event: " + kind.encode() + b"\ndata: " + body + b"\n\n"
