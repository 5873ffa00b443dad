"""The request path, top to bottom, one step a line:

    authenticate -> enforce_limits -> check_input -> resolve_prompt -> apply_policy -> call_provider -> check_output
    -> record_usage

(`enforce_prompt_budget` completes `enforce_limits` once a stored prompt is rendered.)

Every route goes through `chat`, `embeddings` or `media`, so no route can skip a step: API adapters (Anthropic
Messages, Responses, legacy completions) translate into `chat`; moderations (`moderate.py`) take the same first and
last steps; image generation and speech (`media`) take the steps of embeddings, their upstream call in
`call_media.py`. An adapter may also hand its own API's body (`RequestContext.native`): `call_provider` sends that
to a deployment that speaks the API, and `check_output` checks the answer in that shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from gateway.pipeline.apply_policy import apply_policy, mark_answer, mark_stream
from gateway.pipeline.authenticate import authenticate
from gateway.pipeline.call_media import call_media
from gateway.pipeline.call_provider import call_provider
from gateway.pipeline.check_input import check_input
from gateway.pipeline.check_output import check_output
from gateway.pipeline.context import RequestContext
from gateway.pipeline.enforce_limits import enforce_limits, enforce_prompt_budget
from gateway.pipeline.filter_chunks import attach_chunks, filter_chunks
from gateway.pipeline.record_usage import record_usage
from gateway.pipeline.resolve_prompt import resolve_prompt
from gateway.pipeline.returned import remember_answer
from gateway.pipeline.streaming import SseStream
from gateway.providers.base import RawAnswer, Completion

if TYPE_CHECKING:
    from gateway.state import Gateway

Result = TypeVar("Result")


async def chat(gw: Gateway, ctx: RequestContext, authorization: str | None, body: bytes) -> Completion | SseStream:
    """A chat completion. A stream's usage row is written when the stream ends; any other, as it is sent."""
    try:
        await authenticate(gw, ctx, authorization, body)
        await enforce_limits(gw, ctx)
        await filter_chunks(gw, ctx)
        await check_input(gw, ctx)
        await resolve_prompt(gw, ctx)
        attach_chunks(gw, ctx)
        await enforce_prompt_budget(gw, ctx)
        await apply_policy(gw, ctx)
        result = await call_provider(gw, ctx)
        answer = await check_output(gw, ctx, mark_stream(gw, ctx, result))
        mark_answer(gw, ctx, answer)
        remember_answer(gw, ctx, answer)
    except BaseException as exc:
        ctx.fail(exc)
        record_usage(gw, ctx)
        raise
    if isinstance(answer, Completion):
        record_usage(gw, ctx, after_response=True)
    return answer


async def embeddings(gw: Gateway, ctx: RequestContext, authorization: str | None, body: bytes) -> Completion:
    result = await _one_call(gw, ctx, authorization, body, call_provider)
    assert isinstance(result, Completion)
    return result


async def media(gw: Gateway, ctx: RequestContext, authorization: str | None, body: bytes) -> Completion | RawAnswer:
    """An image generation or a text to speech (`ctx.endpoint`), passed through to an OpenAI-compatible deployment."""
    return await _one_call(gw, ctx, authorization, body, call_media)


async def _one_call(gw: Gateway, ctx: RequestContext, authorization: str | None, body: bytes,
                    call: Callable[[Gateway, RequestContext], Awaitable[Result]]) -> Result:
    """The steps of a request answered in one piece with no output guardrails (embeddings, images, speech)."""
    try:
        await authenticate(gw, ctx, authorization, body)
        await enforce_limits(gw, ctx)
        await check_input(gw, ctx)
        await apply_policy(gw, ctx)
        result = await call(gw, ctx)
    except BaseException as exc:
        ctx.fail(exc)
        record_usage(gw, ctx)
        raise
    record_usage(gw, ctx, after_response=True)
    return result
