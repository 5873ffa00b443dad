"""What API adapters (Anthropic Messages...) need from the pipeline besides `chat`: a refusal for a body they
cannot translate, recorded like any other, and a prompt's token estimate without a call."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import orjson

from gateway.errors import WardenError
from gateway.limits.estimate import IMAGE_TOKENS, typical_prompt_tokens
from gateway.pipeline.authenticate import authenticate, bearer_token
from gateway.pipeline.context import RequestContext
from gateway.pipeline.enforce_limits import estimate_prompt_tokens
from gateway.pipeline.record_usage import record_usage
from gateway.schemas import ChatRequest

if TYPE_CHECKING:
    from gateway.state import Gateway


async def refuse(gw: Gateway, ctx: RequestContext, authorization: str | None, error: WardenError) -> NoReturn:
    """A body the adapter could not translate: the key is checked first (a bad key is a 401 whatever the body),
    then the refusal raised and its usage row written, as the pipeline does for a bad chat body."""
    try:
        ctx.principal = await gw.keys.principal(bearer_token(authorization))
        raise error
    except BaseException as exc:
        ctx.fail(exc)
        record_usage(gw, ctx)
        raise


async def count_tokens(gw: Gateway, ctx: RequestContext, authorization: str | None, body: bytes) -> int:
    """Step 1 (who, which model, may they), then the count TPM limits charge before a call (about four characters
    a token), plus tool definitions and images as budgets count them. No upstream call, no usage row: nothing is
    spent."""
    await authenticate(gw, ctx, authorization, body)
    request = ctx.request
    assert isinstance(request, ChatRequest)
    tools = [orjson.dumps([t.model_dump() for t in request.tools]).decode()] if request.tools else []
    parts = [part for m in request.messages if isinstance(m.content, list) for part in m.content]
    images = sum(part.type == "image_url" for part in parts)
    return estimate_prompt_tokens(request) + (typical_prompt_tokens(tools, 0) if tools else 0) + IMAGE_TOKENS * images
