"""The streaming response for chat answers: each event sent as it comes, and no stream left unaccounted.

Starlette's `StreamingResponse` (ASGI spec 2.3, as uvicorn speaks it) runs the body in a new task of an anyio task
group while the request's task waits for the client's hang-up; the first event then waits for the group's set-up
and a hop to the new task. Here the body is sent from the request's own task and one plain asyncio task watches
for the hang-up, cancelling the body's task when it comes (what the task group did).

If the client hangs up before the server pulls the first chunk (while the upstream was still thinking, say), the
stream's own bookkeeping never runs; `abandon` covers that case.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Protocol

from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Receive, Scope, Send


class EventStream(Protocol):
    """A pipeline stream (`SseStream`) or an adapter's retelling of one: it must be abandoned like one."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def abandon(self) -> None: ...


class SseResponse(Response):
    media_type = "text/event-stream"

    def __init__(self, stream: EventStream, headers: Mapping[str, str]) -> None:
        self.status_code = 200
        self.background = None
        self.init_headers(headers)
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        task = asyncio.current_task()
        assert task is not None
        hung_up = False

        async def watch() -> None:
            nonlocal hung_up
            while (await receive())["type"] != "http.disconnect":
                pass
            hung_up = True
            task.cancel()

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            async for chunk in self._stream:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not hung_up:
                raise
            task.uncancel()  # the client's hang-up, told to the body as a cancellation, ends here
        except OSError:
            raise ClientDisconnect() from None  # an ASGI 2.4 server's failed send, named as Starlette names it
        finally:
            watcher.cancel()
            # Shielded: this runs while the request is being torn down, possibly inside a cancelled scope.
            await asyncio.shield(self._stream.abandon())
