"""The pipeline's POST routes, dispatched by one dictionary lookup instead of FastAPI's router.

A chat completion through FastAPI passes its exception and exit-stack middlewares, a scan of every route, the
included router's handler, a second exception wrapper and the dependency solver before reaching a handler that
needs none of them: the pipeline routes take the raw `Request` and parse the body themselves. Those layers cost
about as much CPU as the relay the gateway is measured against. The routes stay registered with FastAPI (the
OpenAPI document, other methods' 405s and every other route are its), and the same handler functions answer
here, with the app's own exception handlers mapping their errors, so both ways give the same answers.

`HotApp` goes one step further: it answers those routes before FastAPI's middleware stack (its error, telemetry
and body-limit layers, then the request-id and last-resort error layers), doing the two layers' work itself in
one frame. Every suspension of a request's task resumes each awaiting frame in its chain, so seven layers cost on
every await, not once. A middleware added to the app beyond its own sends the routes back through the stack.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api.request_id import HEADER, request_id_from
from gateway.unexpected_errors import send_error

Endpoint = Callable[[Request], Awaitable[Response]]
Handler = Callable[[Request, Exception], Awaitable[Response]]


class HotRoutes:
    """ASGI middleware; add it innermost (`app.add_middleware` first), inside the request-id and error layers."""

    def __init__(self, app: ASGIApp, routes: Mapping[str, Endpoint]) -> None:
        self.app = app
        self.routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.routes.get(get_route_path(scope)) if scope["type"] == "http" and scope["method"] == "POST" \
            else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        await _answer(endpoint, scope, receive, send)


class HotApp(FastAPI):
    """FastAPI, answering the hot routes ahead of its middleware stack (see the module's note)."""

    _hot: dict[str, Endpoint] | None = None
    _own_middleware = 0

    def answer_first(self, routes: Mapping[str, Endpoint]) -> None:
        """Answer `routes` before the middleware stack while it holds only the middleware added so far (the
        request-id and last-resort error layers, whose work this does); one added later gets them back."""
        self._hot, self._own_middleware = dict(routes), len(self.user_middleware)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hot = self._hot
        if (hot is None or scope["type"] != "http" or scope["method"] != "POST"
                or len(self.user_middleware) != self._own_middleware):
            await super().__call__(scope, receive, send)
            return
        if self.root_path:
            scope["root_path"] = self.root_path
        endpoint = hot.get(get_route_path(scope))
        if endpoint is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        scope.setdefault("router", self.router)
        request_id = request_id_from(_header(scope, _HEADER_BYTES))
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:  # RequestIdMiddleware's and UnexpectedErrors' parts
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if _header(message, _HEADER_BYTES) is None:  # a copy: the response's own list stays as it was
                    message["headers"] = [*message.get("headers", ()), (_HEADER_BYTES, request_id.encode("latin-1"))]
            await send(message)

        try:
            await _answer(endpoint, scope, receive, send_with_id)
        except Exception as exc:
            if started:  # half an answer is out: only closing the connection can tell the client
                raise
            await send_error(scope, send, exc)


_HEADER_BYTES = HEADER.encode()


def _header(holder: Scope | Message, name: bytes) -> str | None:
    """The first header `name` (lowercase) of a scope or a response start message, as Starlette's `Headers` reads it."""
    for key, value in holder.get("headers") or ():
        if key == name:
            return value.decode("latin-1")
    return None


async def _answer(endpoint: Endpoint, scope: Scope, receive: Receive, send: Send) -> None:
    """The endpoint's answer, or the app's exception handler's for its error; an error no handler maps is raised."""
    request = Request(scope, receive)
    try:
        response = await endpoint(request)
    except Exception as exc:
        handler = _handler_for(scope["app"], exc)
        if handler is None:  # left to the outer layers, as FastAPI would leave it
            raise
        response = await handler(request, exc)
    await response(scope, receive, send)


def hot_routes(routers: Iterable[APIRouter], paths: Iterable[str]) -> dict[str, Endpoint]:
    """The POST endpoints of `routers` at `paths`, checked to take the request alone: a route that grows a
    dependency, a parameter or a body model must go through FastAPI, so this refuses to start rather than skip it."""
    found: dict[str, Endpoint] = {}
    wanted = set(paths)
    for route in (route for router in routers for route in router.routes):
        if not isinstance(route, APIRoute) or route.path not in wanted or "POST" not in route.methods:
            continue
        dependant = route.dependant
        params = list(inspect.signature(route.endpoint).parameters.values())
        plain = (dependant.request_param_name is not None and len(params) == 1 and not dependant.dependencies
                 and not (dependant.path_params or dependant.query_params or dependant.header_params
                          or dependant.cookie_params or dependant.body_params))
        if not plain:
            raise RuntimeError(f"the hot route POST {route.path} takes more than the request; serve it via FastAPI")
        found[route.path] = route.endpoint
    missing = wanted - found.keys()
    if missing:
        raise RuntimeError(f"no POST route at {sorted(missing)!r}")
    return found


def _handler_for(app: FastAPI, exc: Exception) -> Handler | None:
    """The app's handler for `exc`'s class or its nearest base, as Starlette's exception middleware looks it up."""
    for cls in type(exc).__mro__:
        handler = app.exception_handlers.get(cls)
        if handler is not None and cls is not Exception:
            return handler  # type: ignore[return-value]
    return None
