"""Step 4: a request that names a stored prompt gets its rendered messages, model and parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.errors import NotFound
from gateway.pipeline.authenticate import is_prompt_request
from gateway.pipeline.context import RequestContext

if TYPE_CHECKING:
    from gateway.state import Gateway


async def resolve_prompt(gw: Gateway, ctx: RequestContext) -> None:
    if not is_prompt_request(ctx):
        return
    if gw.prompts is None:
        raise NotFound("this gateway has no prompt store configured", param="model", code="prompt_not_found")
