"""Which request fields may reach a provider, and how: the trust boundary between a client's JSON and an SDK.

An allow-list, not a deny-list. Only the documented parameters of OpenAI's chat-completions and embeddings APIs
become keyword arguments to litellm; any other field is never handed to it, because litellm reads its keyword
arguments as its own settings (`fallbacks`, `callbacks`, `headers`, `model_list`, `timeout`...), several of
which choose where a call goes and with which key. Warden's own OpenAI-compatible client posts the payload as
the JSON body to the URL, headers and key of the deployment's config: there a field Warden does not know (vLLM's
`top_k`, a parameter newer than this release) travels only as a body field and cannot change any of those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

CHAT_PARAMETERS = frozenset({
    # https://platform.openai.com/docs/api-reference/chat/create
    "messages", "model", "stream", "stream_options", "n", "max_tokens", "max_completion_tokens", "temperature",
    "top_p", "stop", "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "seed",
    "user", "tools", "tool_choice", "parallel_tool_calls", "response_format", "functions", "function_call",
    "modalities", "audio", "prediction", "reasoning_effort", "verbosity", "service_tier", "store",
    "prompt_cache_key", "prompt_cache_retention", "safety_identifier", "web_search_options", "metadata",
})
EMBEDDING_PARAMETERS = frozenset({
    # https://platform.openai.com/docs/api-reference/embeddings/create
    "input", "model", "dimensions", "encoding_format", "user",
})
# OpenAI parameters that litellm reads as settings of its own: `metadata` is litellm's logging metadata (it
# reaches its callbacks, not the provider), so it goes only to OpenAI-compatible upstreams.
LITELLM_RESERVED = frozenset({"metadata"})

# Fields that name an endpoint, a credential, a header or a callback: a 400 (`param` set) rather than a silent
# drop, since a client sending `api_base` deserves to know it is refused.
FORBIDDEN = frozenset({
    "api_base", "base_url", "api_key", "api_version", "api_type", "custom_llm_provider", "organization",
    "project", "headers", "extra_headers", "default_headers", "extra_query", "litellm_params", "model_list",
    "fallbacks", "context_window_fallback_dict", "callbacks", "deployment_id", "mock_response", "mock_timeout",
    "client", "shared_session", "proxy_server_request", "logger_fn", "ssl_verify", "azure_ad_token",
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_region_name", "aws_profile_name",
    "aws_role_name", "aws_web_identity_token", "vertex_credentials", "vertex_project", "vertex_location",
})
_FORBIDDEN_WORDS = re.compile(
    r"(?:^|_)(?:url|uri|urls|base|endpoint|host|key|secret|token|password|credential|credentials|header|headers"
    r"|callback|callbacks|auth|oauth|proxy|account|webhook)(?:_|$)"
)


def forbidden_field(name: str, allowed: Iterable[str] = CHAT_PARAMETERS | EMBEDDING_PARAMETERS) -> bool:
    """True for a top-level field a client may never send (an endpoint, credential, header or callback)."""
    if name in allowed:
        return False
    return name in FORBIDDEN or bool(_FORBIDDEN_WORDS.search(name.lower()))


def litellm_chat_arguments(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The allow-listed part of a chat payload: the only client fields litellm ever sees."""
    return {k: v for k, v in payload.items() if k in CHAT_PARAMETERS and k not in LITELLM_RESERVED}


def litellm_embedding_arguments(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k in EMBEDDING_PARAMETERS and k not in LITELLM_RESERVED}


def remote_media(messages: object) -> str | None:
    """The first URL in a message's content parts that is not inline (`data:`), or None.

    litellm downloads image and file URLs itself for several providers (and PDF `file_id` URLs even for
    OpenAI), from the gateway's own network: through litellm, media must be inline.
    """
    if not isinstance(messages, list):
        return None
    for message in messages:
        parts = message.get("content") if isinstance(message, dict) else None
        for part in parts if isinstance(parts, list) else ():
            for url in _part_urls(part):
                if not url.lstrip().lower().startswith("data:"):
                    return url
    return None


def _part_urls(part: object) -> list[str]:
    if not isinstance(part, dict):
        return []
    urls: list[str] = []
    for key in ("image_url", "file", "input_audio", "video_url", "document", "audio_url"):
        value = part.get(key)
        if isinstance(value, str):
            urls.append(value)
        elif isinstance(value, dict):
            urls.extend(v for k, v in value.items() if isinstance(v, str) and k in ("url", "file_id", "file_data"))
    return [u for u in urls if u.startswith(("http:", "https:", "file:", "ftp:", "www.", "//", "s3:", "gs:"))
            or "://" in u]
