"""A fake OpenAI-compatible upstream on a real socket, for tests (in-process) and benchmarks (as its own process).

In tests::

    async with-less:  up = FakeUpstream(); base_url = await up.start(); ...; await up.stop()
    sync:             with running_upstream() as up: OpenAI(base_url=up.base_url, api_key="sk-x")

As a process: ``python tests/support/fake_upstream.py --port 9001 [--latency-ms 0]``.
Per-request behaviours ride in the last user message or the model name (see fake_behaviour.py); tests can also set
them with ``set_behaviour(...)`` (every request) or ``enqueue(...)`` (the next request only).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import signal
import threading
from collections import Counter, deque
from collections.abc import Iterator
from typing import Any, NamedTuple

import orjson
from aiohttp import web

try:
    from . import fake_media as media
    from . import fake_native as native
    from . import fake_openai as payloads
    from .fake_behaviour import Behaviour, behaviour_from_kwargs, parse_cli_behaviour, parse_directives
except ImportError:  # run as a script: siblings are top-level modules
    import fake_media as media  # type: ignore[no-redef]
    import fake_native as native  # type: ignore[no-redef]
    import fake_openai as payloads  # type: ignore[no-redef]
    from fake_behaviour import (  # type: ignore[no-redef]
        Behaviour,
        behaviour_from_kwargs,
        parse_cli_behaviour,
        parse_directives,
    )

DEFAULT_MODELS = ["bench-model", "gpt-4o-mini", "text-embedding-3-small"]
_ERROR_KINDS = {
    400: ("invalid_request_error", None),
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("not_found_error", "model_not_found"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("service_unavailable_error", None),
}
_MALFORMED_BODY = b'{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"index": 0, "message": {"con'


class RecordedRequest(NamedTuple):
    """One request as the upstream received it (headers lower-cased; body is the parsed JSON or None)."""

    path: str
    headers: dict[str, str]
    json: Any


class FakeUpstream:
    """Fake OpenAI upstream; several can run at once, each on its own port."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: int = 0,
        chunk_delay_ms: int = 0,
        models: list[str] | None = None,
        record: bool = True,
        behaviour: Behaviour | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.latency_ms, self.chunk_delay_ms = latency_ms, chunk_delay_ms
        self.models = models or list(DEFAULT_MODELS)
        self.record = record
        self.requests: list[RecordedRequest] = []
        self._default = behaviour or Behaviour()
        self._queue: deque[Behaviour] = deque()
        self._failures: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self._cached_prefixes: set[str] = set()
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        """OpenAI-style base URL (ends with /v1), valid once started."""
        return f"http://{self.host}:{self.port}/v1"

    def set_behaviour(self, behaviour: Behaviour | None = None, **kwargs: Any) -> None:
        """Apply a behaviour to every later request (request directives still win); no argument resets it."""
        with self._lock:
            self._default = behaviour or behaviour_from_kwargs(**kwargs)

    def enqueue(self, behaviour: Behaviour | None = None, **kwargs: Any) -> None:
        """Apply a behaviour to the next chat/embeddings request only (FIFO)."""
        with self._lock:
            self._queue.append(behaviour or behaviour_from_kwargs(**kwargs))

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._queue.clear()
            self._failures.clear()
            self._cached_prefixes.clear()
            self._default = Behaviour()

    def requests_to(self, suffix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith(suffix)]

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        for prefix in ("/v1", ""):
            app.router.add_post(f"{prefix}/chat/completions", self._chat)
            app.router.add_post(f"{prefix}/embeddings", self._embeddings)
            app.router.add_post(f"{prefix}/images/generations", self._media)
            app.router.add_post(f"{prefix}/audio/speech", self._media)
            app.router.add_post(f"{prefix}/audio/transcriptions", self._transcription)
            app.router.add_get(f"{prefix}/models", self._models)
            app.router.add_post(f"{prefix}/messages", self._native)
            app.router.add_post(f"{prefix}/responses", self._native)
        app.router.add_get("/healthz", self._health)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _read(self, request: web.Request) -> Any:
        body = await request.json(loads=orjson.loads) if request.can_read_body else None
        if self.record:
            self.requests.append(
                RecordedRequest(request.path, {k.lower(): v for k, v in request.headers.items()}, body)
            )
        return body

    def _behaviour_for(self, directive_text: str) -> Behaviour:
        with self._lock:
            queued = self._queue.popleft() if self._queue else Behaviour()
            default = self._default
        return parse_directives(directive_text).merged_over(queued.merged_over(default))

    async def _prelude(self, behaviour: Behaviour, failure_key: str) -> web.Response | None:
        """Delay and error handling shared by the POST endpoints; a response means "answer this instead"."""
        delay_ms = self.latency_ms + (behaviour.slow or 0)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if behaviour.fail_first:
            with self._lock:
                self._failures[failure_key] += 1
                attempt = self._failures[failure_key]
            if attempt <= behaviour.fail_first:
                return error_response(500, f"fake failure {attempt} of {behaviour.fail_first}", None)
        status = behaviour.error_status
        if status is not None:
            return error_response(status, f"fake error status {status}", behaviour.retry_after)
        return None

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self._read(request)
            if not isinstance(body, dict):
                raise ValueError(f"request body must be a JSON object, got {type(body).__name__!r}")
            user_text = payloads.last_user_text(body)
            behaviour = self._behaviour_for(f"{body.get('model', '')} {user_text}")
        except ValueError as exc:
            return error_response(400, str(exc), None)
        early = await self._prelude(behaviour, f"{request.path}\n{user_text}")
        if early is not None:
            return early
        try:
            plan = payloads.plan_chat(body, behaviour, f"chatcmpl-fake{next(self._ids)}")
        except ValueError as exc:
            return error_response(400, str(exc), None)
        if behaviour.context_limit is not None and plan.prompt_tokens > behaviour.context_limit:
            return error_response(400, f"This model's maximum context length is {behaviour.context_limit} tokens. "
                                  f"However, your messages resulted in {plan.prompt_tokens} tokens.", None,
                                  code="context_length_exceeded")
        if body.get("stream"):
            return await self._stream(request, body, plan, behaviour)
        return await self._complete(request, plan, behaviour)

    async def _complete(
        self, request: web.Request, plan: payloads.ChatPlan, behaviour: Behaviour
    ) -> web.StreamResponse:
        if behaviour.malformed_json:
            return web.Response(body=_MALFORMED_BODY, content_type="application/json")
        data = orjson.dumps(payloads.completion_body(plan))
        if behaviour.cut_stream_after is None:
            return web.Response(body=data, content_type="application/json")
        # A non-stream "cut": announce the full length, send half of it, drop the connection.
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(data)
        await response.prepare(request)
        await response.write(data[: len(data) // 2])
        return _drop(request, response)

    async def _stream(
        self, request: web.Request, body: dict[str, Any], plan: payloads.ChatPlan, behaviour: Behaviour
    ) -> web.StreamResponse:
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = [
            b"data: " + orjson.dumps(e) + b"\n\n"
            for e in payloads.stream_events(plan, include_usage, behaviour.chunk_size)
        ]
        events.append(b"data: [DONE]\n\n")
        if behaviour.malformed_json:
            events[min(1, len(events) - 1)] = b'data: {"id": "chatcmpl-broken", "choices": [\n\n'
        return await self._send_events(request, events, behaviour)

    async def _send_events(self, request: web.Request, events: list[bytes], behaviour: Behaviour) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        delay = (behaviour.chunk_delay if behaviour.chunk_delay is not None else self.chunk_delay_ms) / 1000
        for sent, event in enumerate(events):
            if behaviour.cut_stream_after is not None and sent >= behaviour.cut_stream_after:
                return _drop(request, response)
            if delay and sent:
                await asyncio.sleep(delay)
            await response.write(event)
        await response.write_eof()
        return response

    async def _native(self, request: web.Request) -> web.StreamResponse:
        """Anthropic's Messages API (`/messages`) or OpenAI's Responses API (`/responses`), see fake_native.py."""
        anthropic = request.path.endswith("/messages")
        body = await self._read(request)
        if not isinstance(body, dict):
            return error_response(400, "request body must be a JSON object", None)
        text = native.anthropic_user_text(body) if anthropic else native.responses_user_text(body)
        behaviour = self._behaviour_for(f"{body.get('model', '')} {text}")
        early = await self._prelude(behaviour, f"{request.path}\n{text}")
        if early is not None:
            return early
        number = next(self._ids)
        if anthropic:
            answer = native.anthropic_message(body, behaviour, f"msg_fake{number}", self._cached_prefixes)
        else:
            answer = native.response_body(body, behaviour, f"resp_fake{number}")
        if not body.get("stream"):
            return web.Response(body=orjson.dumps(answer), content_type="application/json")
        events = native.anthropic_events(answer) if anthropic else native.response_events(answer)
        sse = [b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in events]
        return await self._send_events(request, sse, behaviour)

    async def _embeddings(self, request: web.Request) -> web.Response:
        try:
            body = await self._read(request)
            if not isinstance(body, dict):
                raise ValueError(f"request body must be a JSON object, got {type(body).__name__!r}")
            text = str(body.get("input", ""))
            behaviour = self._behaviour_for(f"{body.get('model', '')} {text}")
        except ValueError as exc:
            return error_response(400, str(exc), None)
        early = await self._prelude(behaviour, f"{request.path}\n{text}")
        if early is not None:
            return early
        if behaviour.malformed_json:
            return web.Response(body=_MALFORMED_BODY, content_type="application/json")
        try:
            return web.Response(body=orjson.dumps(payloads.embeddings_body(body)), content_type="application/json")
        except ValueError as exc:
            return error_response(400, str(exc), None)

    async def _media(self, request: web.Request) -> web.Response:
        """Image generation and speech: directives ride in the prompt or the input text."""
        body = await self._read(request)
        if not isinstance(body, dict):
            return error_response(400, "request body must be a JSON object", None)
        text = str(body.get("prompt") or body.get("input") or "")
        behaviour = self._behaviour_for(f"{body.get('model', '')} {text}")
        early = await self._prelude(behaviour, f"{request.path}\n{text}")
        if early is not None:
            return early
        if request.path.endswith("/images/generations"):
            answer = media.image_body(body, text)
            if behaviour.no_usage:
                del answer["usage"]
            return web.Response(body=orjson.dumps(answer), content_type="application/json")
        audio, content_type = media.speech_bytes(body)
        return web.Response(body=audio, content_type=content_type)

    async def _transcription(self, request: web.Request) -> web.Response:
        """A multipart form, recorded with the file as its name, type and bytes (`media.form_fields`)."""
        fields = media.form_fields(await request.post())
        if self.record:
            self.requests.append(RecordedRequest(request.path, {k.lower(): v for k, v in request.headers.items()},
                                                 fields))
        text = str(fields.get("prompt") or "")
        early = await self._prelude(self._behaviour_for(f"{fields.get('model', '')} {text}"), f"{request.path}\n{text}")
        if early is not None:
            return early
        body, content_type = media.transcript(fields)
        return web.Response(body=body, content_type=content_type)

    async def _models(self, request: web.Request) -> web.Response:
        await self._read(request)
        return web.Response(body=orjson.dumps(payloads.models_body(self.models)), content_type="application/json")

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")


def error_response(status: int, message: str, retry_after: int | None, code: str | None = None) -> web.Response:
    kind, default_code = _ERROR_KINDS.get(status, ("api_error", None))
    code = code or default_code
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    headers = {"retry-after": str(retry_after)} if retry_after is not None else None
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json", headers=headers)


def _drop(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """Close the socket mid-body so the client sees a truncated response, as with a crashed upstream."""
    response.force_close()
    if request.transport is not None:
        request.transport.abort()
    return response


@contextlib.contextmanager
def running_upstream(**kwargs: Any) -> Iterator[FakeUpstream]:
    """Run a FakeUpstream on its own event loop in a background thread (for sync tests and sync clients)."""
    upstream = FakeUpstream(**kwargs)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=f"fake-upstream-{id(upstream)}", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(upstream.start(), loop).result(timeout=10)
        yield upstream
    finally:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(upstream.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def _serve(args: argparse.Namespace) -> None:
    upstream = FakeUpstream(
        host=args.host,
        port=args.port,
        latency_ms=args.latency_ms,
        chunk_delay_ms=args.chunk_delay_ms,
        record=False,
        behaviour=parse_cli_behaviour(args.behaviour),
    )
    await upstream.start()
    print(f"fake upstream listening on {upstream.base_url}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await upstream.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible upstream (deterministic answers).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001, help="0 picks a free port (printed on start)")
    parser.add_argument("--latency-ms", type=int, default=0, help="added before every answer")
    parser.add_argument("--chunk-delay-ms", type=int, default=0, help="between streamed events")
    parser.add_argument(
        "--behaviour", default="", help='default behaviour for every request, e.g. "status=500,slow=100"'
    )
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve(args))
    else:
        uvloop.run(_serve(args))


if __name__ == "__main__":
    main()
