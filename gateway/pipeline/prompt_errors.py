"""Prompt-store errors as the client sees them: 404 for an unknown prompt, label or version; 400 otherwise."""

from __future__ import annotations

from gateway.errors import BadRequest, NotFound, WardenError
from gateway.prompts import PromptError, PromptNotFound, PromptVariableError


def prompt_error(exc: PromptError) -> WardenError:
    if isinstance(exc, PromptNotFound):
        return NotFound(exc.message, param="model", code="prompt_not_found")
    if isinstance(exc, PromptVariableError):
        return BadRequest(exc.message, param=f"prompt.variables.{exc.variable}", code="invalid_prompt_variable")
    # A render failure is caused by the values sent with this request: a client error, not a 500.
    return BadRequest(exc.message, param="prompt", code="invalid_prompt_request")
