"""`POST /v1/completions` (OpenAI's legacy text completions): an adapter over the pipeline's `chat`.

The prompt goes to the chat model as one user message; the answer's text comes back as `text`. Only the
documented fields below are translated (others are dropped); `echo`, `suffix`, `logprobs` and `best_of` > 1
have no chat-completions equivalent and are a 400 naming them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway import pipeline
from gateway.api.chat_answer import Chunk
from gateway.api.deps import gateway_of, new_context, read_body, response_headers
from gateway.api.openapi_bodies import body_schema
from gateway.api.sse import SseResponse
from gateway.errors import BadRequest
from gateway.pipeline.adapters import refuse
from gateway.providers.base import Completion

router = APIRouter(prefix="/v1", tags=["openai"])
JSON = "application/json"
SAMPLING = ("n", "temperature", "top_p", "stop", "presence_penalty", "frequency_penalty", "logit_bias", "seed",
            "user", "stream_options")


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str = Field(min_length=1, max_length=256)
    prompt: str | list[str] = Field(min_length=1)
    max_tokens: int = Field(default=16, ge=1)  # the legacy API's default
    n: int | None = Field(default=None, ge=1, le=128)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    stop: str | list[str] | None = None
    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    logit_bias: dict[str, float] | None = None
    seed: int | None = None
    user: str | None = Field(default=None, max_length=256)
    stream: bool = False
    stream_options: dict[str, bool] | None = None
    echo: bool = False
    suffix: str | None = None
    logprobs: int | None = None
    best_of: int | None = None

    def chat_body(self) -> dict[str, Any]:
        for name, unsupported in (("echo", self.echo), ("suffix", self.suffix is not None),
                                  ("logprobs", self.logprobs is not None), ("best_of", (self.best_of or 1) > 1)):
            if unsupported:
                raise BadRequest(f"{name!r} is not supported: Warden serves completions from chat models", param=name)
        prompts = [self.prompt] if isinstance(self.prompt, str) else self.prompt
        if len(prompts) != 1:
            raise BadRequest(f"one prompt per request, got {len(prompts)}", param="prompt")
        body = {"model": self.model, "messages": [{"role": "user", "content": prompts[0]}],
                "max_tokens": self.max_tokens, "stream": self.stream}
        return body | {name: getattr(self, name) for name in SAMPLING if getattr(self, name) is not None}


@router.post("/completions", openapi_extra=body_schema(CompletionRequest))
async def completions(request: Request) -> Response:
    gw = gateway_of(request)
    ctx = new_context(request, "chat")
    authorization = request.headers.get("authorization")
    try:
        wanted = CompletionRequest.model_validate_json(await read_body(request, gw.config.server.max_body_bytes))
        body = orjson.dumps(wanted.chat_body())
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "body"
        await refuse(gw, ctx, authorization, BadRequest(f"invalid value for {where!r}: {error['msg']}", param=where))
    except BadRequest as exc:
        await refuse(gw, ctx, authorization, exc)
    answer = await pipeline.chat(gw, ctx, authorization, body)
    if isinstance(answer, Completion):
        return Response(orjson.dumps(_text_completion(answer.body)), media_type=JSON, headers=response_headers(ctx))
    headers = {**response_headers(ctx), "cache-control": "no-cache", "x-accel-buffering": "no"}
    return SseResponse(answer.translated(_chunks), headers=headers)


def _text_completion(body: dict[str, Any]) -> dict[str, Any]:
    """A chat completion (or chunk) as a text completion: same id, model, usage; each choice's text."""
    answer = Chunk.model_validate(body)
    choices = [{"text": c.message.content or c.delta.content or "", "index": c.index, "logprobs": None,
                "finish_reason": c.finish_reason} for c in answer.choices]
    out = {"id": f"cmpl-{answer.id}", "object": "text_completion", "created": body.get("created", 0),
           "model": body.get("model", ""), "choices": choices}
    return out | ({"usage": body["usage"]} if body.get("usage") else {})


async def _chunks(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for raw in chunks:
        data = raw.removeprefix(b"data: ").strip()
        if data == b"[DONE]" or data.startswith(b'{"error"'):
            yield raw
        else:
            yield b"data: " + orjson.dumps(_text_completion(orjson.loads(data))) + b"\n\n"
