"""Every request gets its id before any route runs, so that every route's errors and logs can name it."""

from __future__ import annotations

import random
import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
HEADER = "x-request-id"


def request_id_from(incoming: str | None) -> str:
    """The client's `x-request-id` when it is short and plain (it reaches logs and headers), else a new one."""
    # `random` (seeded from the OS, reseeded in each forked worker) rather than uuid4: no system call per
    # request, and a request id is a label, not a secret.
    return incoming if incoming and _SAFE_ID.match(incoming) else f"req_{random.getrandbits(128):032x}"


class RequestIdMiddleware:
    """Puts `request_id` in the request's state and `x-request-id` on every response that lacks one
    (admin, registry, health and error answers alike; the OpenAI routes set theirs with their other headers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get(HEADER))
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if HEADER not in headers:
                    headers.append(HEADER, request_id)
            await send(message)

        await self.app(scope, receive, send_with_id)
