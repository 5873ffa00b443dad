"""Responses <-> chat completions: the request becomes the one pipeline's chat request, its answer a Response.

Only the fields named here are translated (the request model refuses any other), so a Responses request can ask
the pipeline for nothing a chat request could not.
"""

from __future__ import annotations

from typing import Any

from gateway.api.chat_answer import Chunk
from gateway.api.responses_objects import (
    IncompleteDetails,
    OutputFunctionCall,
    OutputItem,
    OutputMessage,
    OutputRefusal,
    OutputText,
    ResponseObject,
    Usage,
)
from gateway.api.responses_shapes import (
    FunctionCallItem,
    FunctionCallOutputItem,
    FunctionChoice,
    FunctionTool,
    InputImage,
    InputText,
    MessageItem,
    ResponsesInput,
    ResponsesRequest,
)
from gateway.pipeline.adapters import chat_json
from gateway.schemas import ChatRequest, parse_request

Item = MessageItem | FunctionCallItem | FunctionCallOutputItem


def chat_request(request: ResponsesInput, history: list[Item]) -> ChatRequest:
    """The chat request for `request`, after the stored conversation `history` (already PII-masked if stored)."""
    body: dict[str, Any] = {"model": request.model, "messages": chat_messages(request.instructions,
                                                                              history + request.items())}
    functions = [t for t in request.tools or () if isinstance(t, FunctionTool)]  # built-in ones: native only
    if functions:
        body["tools"] = [{"type": "function", "function": t.model_dump(exclude={"type"}, exclude_none=True)}
                         for t in functions]
    if isinstance(request, ResponsesRequest):
        body.update(_options(request))
    return parse_request(ChatRequest, body)


def chat_body(request: ChatRequest) -> bytes:
    return chat_json(request.model_dump(mode="json", exclude_unset=True, by_alias=True))


def _options(request: ResponsesRequest) -> dict[str, Any]:
    choice = request.tool_choice
    options: dict[str, Any] = {
        "temperature": request.temperature, "top_p": request.top_p, "max_tokens": request.max_output_tokens,
        "metadata": request.metadata, "tags": request.tags, "user": request.user,
        "tool_choice": {"type": "function", "function": {"name": choice.name}}
        if isinstance(choice, FunctionChoice) else choice,
        # OpenAI refuses `parallel_tool_calls` without tools.
        "parallel_tool_calls": request.parallel_tool_calls if request.tools else None,
        "reasoning_effort": request.reasoning.effort if request.reasoning else None,
        "verbosity": request.text.verbosity if request.text else None,
        "prompt_cache_key": request.prompt_cache_key, "safety_identifier": request.safety_identifier,
        "service_tier": request.service_tier,
    }
    form = request.text.format if request.text else None
    if form is not None and (response_format := form.response_format()) is not None:
        options["response_format"] = response_format.model_dump(exclude_none=True)
    if request.stream:
        options |= {"stream": True, "stream_options": {"include_usage": True}}
    return {k: v for k, v in options.items() if v is not None}


def chat_messages(instructions: str | None, items: list[Item]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": instructions}] if instructions else []
    for item in items:
        if isinstance(item, MessageItem):
            messages.append({"role": item.role, "content": _content(item)})
        elif isinstance(item, FunctionCallOutputItem):
            messages.append({"role": "tool", "tool_call_id": item.call_id, "content": item.text()})
        else:
            call = {"id": item.call_id, "type": "function",
                    "function": {"name": item.name, "arguments": item.arguments}}
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)  # parallel calls: one assistant turn, as chat completions has it
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    return messages


def _content(item: MessageItem) -> str | list[dict[str, Any]]:
    if isinstance(item.content, str):
        return item.content
    if item.role == "assistant" or all(isinstance(p, InputText) for p in item.content):
        # Earlier answers and plain text go as text, which every provider takes.
        return "".join(p.text if isinstance(p, InputText) else p.refusal for p in item.content
                       if not isinstance(p, InputImage))
    parts: list[dict[str, Any]] = []
    for part in item.content:
        if isinstance(part, InputImage):
            image = {"url": part.image_url, **({"detail": part.detail} if part.detail else {})}
            parts.append({"type": "image_url", "image_url": image})
        else:
            parts.append({"type": "text", "text": part.text if isinstance(part, InputText) else part.refusal})
    return parts


def finished(response: ResponseObject, output: list[OutputItem], finish_reason: str | None) -> ResponseObject:
    """`response` completed with `output`, or incomplete when the answer was cut."""
    reason = {"length": "max_output_tokens", "content_filter": "content_filter"}.get(finish_reason or "")
    status = "incomplete" if reason else "completed"
    for item in output:
        item.status = status
    details = IncompleteDetails(reason=reason) if reason else None  # type: ignore[arg-type]
    return response.model_copy(update={"output": output, "status": status, "incomplete_details": details})


def render(response: ResponseObject, body: dict[str, Any]) -> ResponseObject:
    """`response` (the request's echo) completed with the chat completion `body`."""
    answer = Chunk.model_validate(body)
    choice = answer.first()
    output: list[OutputItem] = []
    message = choice.message
    if message.content or message.refusal:
        part = OutputRefusal(refusal=message.refusal) if message.refusal and not message.content else None
        output.append(OutputMessage(content=[part or OutputText(text=message.content or "")]))
    for call in message.tool_calls or ():
        output.append(OutputFunctionCall(call_id=call.id or "", name=call.function.name or "",
                                         arguments=call.function.arguments or ""))
    done = finished(response, output, choice.finish_reason)
    return done.model_copy(update={"usage": Usage.of_chat(answer.usage)})


def echo(request: ResponsesRequest) -> ResponseObject:
    """A new Response carrying the request's settings, as OpenAI echoes them."""
    return ResponseObject(
        model=request.model, instructions=request.instructions, tools=request.tools or [],
        tool_choice=request.tool_choice or "auto",
        parallel_tool_calls=request.parallel_tool_calls if request.parallel_tool_calls is not None else True,
        temperature=request.temperature, top_p=request.top_p, max_output_tokens=request.max_output_tokens,
        metadata=request.metadata or {}, user=request.user, text=request.text,
        previous_response_id=request.previous_response_id, store=request.store,
    )
