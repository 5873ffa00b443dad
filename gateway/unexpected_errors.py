"""The last line of error handling: an exception no handler mapped becomes OpenAI's error JSON, and the
connection stays usable.

Starlette's handler for `Exception` answers and then re-raises, and uvicorn closes a connection whose
application raised after the answer started: a keep-alive client finds its connection reset on the next
request. This middleware answers and does not re-raise. A database outage is a 503 with Retry-After (the
request may succeed shortly), anything else a 500 naming the request id.
"""

from __future__ import annotations

import logging

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.outage import is_outage

log = logging.getLogger("warden")
RETRY_AFTER_S = "2"


class UnexpectedErrors:
    """ASGI middleware; add it with `app.add_middleware(UnexpectedErrors)`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started:  # half an answer is out: only closing the connection can tell the client
                raise
            await send_error(scope, send, exc)


async def send_error(scope: Scope, send: Send, exc: Exception) -> None:
    request_id = str((scope.get("state") or {}).get("request_id", "-"))
    headers = [(b"content-type", b"application/json"), (b"x-request-id", request_id.encode())]
    if is_outage(exc):
        log.warning("request %s: database unavailable (%s)", request_id, type(exc).__name__)
        status, error = 503, {"message": f"the database is unavailable; retry shortly (request {request_id})",
                              "type": "api_error", "param": None, "code": "database_unavailable"}
        headers.append((b"retry-after", RETRY_AFTER_S.encode()))
    else:
        log.error("unexpected error in request %s: %s", request_id, type(exc).__name__, exc_info=exc)
        status, error = 500, {"message": f"internal error (request {request_id})", "type": "api_error",
                              "param": None, "code": "internal_error"}
    body = orjson.dumps({"error": error})
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
