"""Rendering a resolved prompt with the caller's variables."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import orjson
from jinja2 import TemplateError

from gateway.prompts.errors import PromptRenderError
from gateway.prompts.model import Message, RenderedPrompt, ResolvedPrompt
from gateway.prompts.variables import build_context

MAX_MESSAGE_CHARS = 1_000_000
_EMPTY: Mapping[str, object] = {}


def render_prompt(
    resolved: ResolvedPrompt, variables: Mapping[str, object], gateway_vars: Mapping[str, object] = _EMPTY
) -> RenderedPrompt:
    """Render every message of `resolved`.

    `variables` come from the request (checked against the declarations; they only reach `user` messages);
    `gateway_vars` are trusted server-side values for `source: gateway` variables. Raises `PromptVariableError`
    (caller's fault, 400) or `PromptRenderError` (the template failed, 500).
    """
    spec = resolved.spec
    trusted, caller = build_context(spec, variables, gateway_vars)
    user_context = {**trusted, **caller}
    messages = []
    for template in resolved.messages:
        context = user_context if template.role == "user" else trusted
        try:
            content = template.compiled.template.render(context)
        except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:  # sandbox refusals are TemplateErrors
            raise PromptRenderError(
                f"prompt {resolved.name!r} at {resolved.commit_sha[:7]}: '## {template.role}' failed: {exc}"
            ) from None
        if len(content) > MAX_MESSAGE_CHARS:
            raise PromptRenderError(f"prompt {resolved.name!r}: a rendered message exceeds {MAX_MESSAGE_CHARS} chars")
        messages.append(Message(template.role, content))
    digest = hashlib.sha256(orjson.dumps([[m.role, m.content] for m in messages])).hexdigest()
    return RenderedPrompt(
        messages=tuple(messages),
        model=spec.model,
        parameters=spec.parameters,
        response_format=spec.response_format,
        guardrail_policy=spec.guardrail_policy,
        allow_overrides=spec.allow_overrides,
        prompt_name=resolved.name,
        label=resolved.label,
        commit_sha=resolved.commit_sha,
        template_hash=digest,
        source_hash=resolved.source_hash,
    )
