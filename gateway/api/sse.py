"""The streaming response for chat answers: Starlette's, plus the guarantee that no stream goes unaccounted.

If the client hangs up before the server pulls the first chunk (while the upstream was still thinking, say),
Starlette never starts the body and the stream's own bookkeeping never runs; `abandon` covers that case.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Protocol

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send


class EventStream(Protocol):
    """A pipeline stream (`SseStream`) or an adapter's retelling of one: it must be abandoned like one."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def abandon(self) -> None: ...


class SseResponse(StreamingResponse):
    def __init__(self, stream: EventStream, headers: Mapping[str, str]) -> None:
        super().__init__(stream, media_type="text/event-stream", headers=headers)
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Shielded: this runs while the request is being torn down, possibly inside a cancelled scope.
            await asyncio.shield(self._stream.abandon())
