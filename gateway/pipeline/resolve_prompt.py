"""Step 4: a request that names a stored prompt gets the prompt's rendered messages, model, parameters,
response format and policy. The caller may change only the parameters the prompt lets it override; system
prompts come only from the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.errors import BadRequest
from gateway.pipeline.context import PromptInfo, RequestContext
from gateway.pipeline.prompt_errors import prompt_error
from gateway.prompts import PromptError
from gateway.schemas import ChatRequest
from gateway.tracing import traced

if TYPE_CHECKING:
    from gateway.state import Gateway

# Fields a prompt controls; a caller may set one only if the prompt's `allow_overrides` lists it.
PROMPT_FIELDS = ("temperature", "max_tokens", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty",
                 "response_format")


@traced("resolve_prompt")
async def resolve_prompt(gw: Gateway, ctx: RequestContext) -> None:
    resolved = ctx.resolved_prompt
    if resolved is None:
        return
    assert gw.prompts is not None and isinstance(ctx.request, ChatRequest)
    try:
        rendered = gw.prompts.render(resolved, ctx.prompt_variables)
    except PromptError as exc:
        raise prompt_error(exc) from None
    allowed = set(rendered.allow_overrides)
    for name in PROMPT_FIELDS:
        if name in ctx.payload and name not in allowed:
            raise BadRequest(f"the prompt {rendered.prompt_name!r} does not let callers set {name!r}", param=name,
                             code="prompt_override_refused")
    for message in ctx.request.messages:
        if message.role in ("system", "developer"):
            raise BadRequest(f"the prompt {rendered.prompt_name!r} supplies the system prompt; a request that uses "
                             "it may not send system messages", param="messages", code="prompt_override_refused")
    payload: dict[str, Any] = {k: v for k, v in rendered.parameters.model_dump(exclude_none=True).items()}
    if isinstance(payload.get("stop"), tuple):
        payload["stop"] = list(payload["stop"])
    if rendered.response_format is not None:
        payload["response_format"] = rendered.response_format.to_openai()
        if rendered.response_format.json_schema is not None:
            ctx.checks.json_schema = dict(rendered.response_format.json_schema)
    payload.update(ctx.payload)
    payload["messages"] = [m.to_openai() for m in rendered.messages] + list(ctx.payload.get("messages") or [])
    ctx.payload = payload
    system = [m.content for m in rendered.messages if m.role == "system"]
    ctx.checks.system_prompt = "\n".join(system) or None
    ctx.prompt = PromptInfo(rendered.prompt_name, rendered.label, rendered.commit_sha, rendered.template_hash)
    ctx.headers.update({"x-warden-prompt": f"{rendered.prompt_name}@{rendered.label or rendered.short_sha}",
                        "x-warden-prompt-commit": rendered.commit_sha,
                        "x-warden-prompt-hash": rendered.template_hash})
