"""One error hierarchy, rendered as OpenAI's error JSON so every OpenAI SDK raises its usual exception."""

from __future__ import annotations

from typing import ClassVar

import orjson


class WardenError(Exception):
    """Base of every error a client may see. Subclasses fix the status code and OpenAI error type."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "api_error"
    default_code: ClassVar[str | None] = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.param = param
        self.headers = headers or {}

    def body(self) -> bytes:
        return orjson.dumps(
            {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}
        )


class BadRequest(WardenError):
    status = 400
    type = "invalid_request_error"


class GuardrailViolation(BadRequest):
    default_code = "guardrail_violation"


class AuthenticationFailed(WardenError):
    status = 401
    type = "invalid_request_error"
    default_code = "invalid_api_key"


class PermissionDenied(WardenError):
    status = 403
    type = "permission_error"
    default_code = "model_not_allowed"


class NotFound(WardenError):
    status = 404
    type = "invalid_request_error"
    default_code = "model_not_found"


class PayloadTooLarge(WardenError):
    status = 413
    type = "invalid_request_error"
    default_code = "payload_too_large"


class RateLimited(WardenError):
    status = 429
    type = "rate_limit_error"
    default_code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float, code: str | None = None) -> None:
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(message, code=code, headers={"retry-after": str(seconds)})
        self.retry_after = retry_after


class UpstreamError(WardenError):
    """The provider failed after retries and fallbacks (502)."""

    status = 502
    type = "api_error"
    default_code = "upstream_error"


class UpstreamTimeout(WardenError):
    status = 504
    type = "api_error"
    default_code = "upstream_timeout"


class ServiceUnavailable(WardenError):
    status = 503
    type = "api_error"
    default_code = "service_unavailable"


def error_type_name(exc: BaseException) -> str:
    """The short name recorded in usage rows and metrics (`rate_limited`, `upstream_timeout`...)."""
    if isinstance(exc, WardenError):
        return exc.code or type(exc).__name__
    return type(exc).__name__
