"""Git-backed prompt store: prompts are files in a Git repository, versions are commits, labels are a reviewed file.

Public API for the gateway (see `store.PromptStore` for the request-path flow)::

    from gateway.prompts import PromptStore, parse_model_ref, parse_prompt_body
"""

from __future__ import annotations

from gateway.prompts.errors import (
    GitError,
    PromptError,
    PromptFormatError,
    PromptNotFound,
    PromptRenderError,
    PromptRequestError,
    PromptVariableError,
)
from gateway.prompts.gates import GateResult, PromotionGate, register_gate
from gateway.prompts.model import Message, RenderedPrompt, ResolvedPrompt
from gateway.prompts.refs import PromptRef, PromptRequest, parse_model_ref, parse_prompt_body, parse_ref
from gateway.prompts.remote import RemoteConfig
from gateway.prompts.render import render_prompt
from gateway.prompts.spec import Parameters, PromptSpec, ResponseFormat, VariableSpec
from gateway.prompts.store import PromptStore, PromptStoreConfig

__all__ = [
    "GateResult",
    "GitError",
    "Message",
    "Parameters",
    "PromotionGate",
    "PromptError",
    "PromptFormatError",
    "PromptNotFound",
    "PromptRef",
    "PromptRenderError",
    "PromptRequest",
    "PromptRequestError",
    "PromptSpec",
    "PromptStore",
    "PromptStoreConfig",
    "PromptVariableError",
    "RemoteConfig",
    "RenderedPrompt",
    "ResolvedPrompt",
    "ResponseFormat",
    "VariableSpec",
    "parse_model_ref",
    "parse_prompt_body",
    "parse_ref",
    "register_gate",
    "render_prompt",
]
