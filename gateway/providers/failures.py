"""What an upstream failure says: whose fault it is, how many retries it deserves (LiteLLM's `retry_policy`), and
whether the prompt was too long for the model's context window (LiteLLM's `context_window_fallbacks`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gateway.errors import BadRequest
from gateway.providers.base import ProviderError

DEPLOYMENT_FAULTS = frozenset({401, 402, 403, 404})
"""4xx answers that say the deployment (its key, account or upstream model name) is wrong, not the request."""
_CONTEXT_WORDS = ("context_length_exceeded", "context length", "context window", "prompt is too long",
                  "maximum context")
_CONTENT_POLICY = ("content_policy", "content_filter", "content management policy")


class RetryPolicy(BaseModel):
    """LiteLLM's `router_settings.retry_policy`: retries after an error of each kind (unset: `num_retries`, and
    none for the request's own errors, which would fail again)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    BadRequestErrorRetries: int | None = Field(default=None, ge=0, le=10)
    AuthenticationErrorRetries: int | None = Field(default=None, ge=0, le=10)
    TimeoutErrorRetries: int | None = Field(default=None, ge=0, le=10)
    RateLimitErrorRetries: int | None = Field(default=None, ge=0, le=10)
    ContentPolicyViolationErrorRetries: int | None = Field(default=None, ge=0, le=10)
    InternalServerErrorRetries: int | None = Field(default=None, ge=0, le=10)


def is_client_error(error: ProviderError) -> bool:
    status = error.status
    return (error.kind == "status" and status is not None and 400 <= status < 500
            and not error.retryable and status not in DEPLOYMENT_FAULTS)


def client_error(error: ProviderError) -> BadRequest:
    return BadRequest(f"the upstream rejected the request: {error.message}", code="upstream_bad_request")


def is_context_window(error: ProviderError) -> bool:
    """A 400 saying the prompt does not fit the model (OpenAI's `context_length_exceeded`, Anthropic's wording)."""
    text = f"{error.code or ''} {error.message}".lower()
    return error.status in (400, 413) and any(word in text for word in _CONTEXT_WORDS)


def retries_allowed(policy: RetryPolicy | None, error: ProviderError, num_retries: int) -> int:
    """How many retries a request may make after this error, by the kind LiteLLM names it."""
    default = 0 if is_client_error(error) else num_retries
    if policy is None:
        return default
    chosen = getattr(policy, _kind(error))
    return default if chosen is None else chosen


def _kind(error: ProviderError) -> str:
    if error.kind == "timeout":
        return "TimeoutErrorRetries"
    if error.status == 429:
        return "RateLimitErrorRetries"
    if error.status == 401:
        return "AuthenticationErrorRetries"
    if is_client_error(error):
        text = f"{error.code or ''} {error.message}".lower()
        policy = any(word in text for word in _CONTENT_POLICY)
        return "ContentPolicyViolationErrorRetries" if policy else "BadRequestErrorRetries"
    return "InternalServerErrorRetries"
