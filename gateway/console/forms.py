"""What every console page shares: the signed-in viewer (or a redirect to the login form), form bodies checked
against the CSRF token, and errors shown as a page with the API's status code instead of JSON."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from fastapi import Request, Response

from gateway.api.deps import read_body
from gateway.console.render import error_page, redirect
from gateway.console.session import NotSignedIn, Viewer, viewer_of
from gateway.errors import BadRequest, PermissionDenied, WardenError

MAX_FORM_BYTES = 64 * 1024
Form = dict[str, str]


async def run_page(request: Request, work: Callable[[Viewer], Awaitable[Response]]) -> Response:
    """Resolve the viewer and run the page; a missing session goes to the login form, errors become a page."""
    try:
        viewer = await viewer_of(request)
    except NotSignedIn:
        return redirect("/console/login")
    try:
        return await work(viewer)
    except WardenError as exc:
        return error_page(request, viewer, exc.status, exc.message)


async def read_form(request: Request, viewer: Viewer | None = None, csrf: str | None = None) -> Form:
    """The urlencoded body as single values; refused unless its `csrf` field matches the session's token."""
    raw = await read_body(request, MAX_FORM_BYTES)
    if "application/x-www-form-urlencoded" not in (request.headers.get("content-type") or ""):
        raise BadRequest("console forms are sent as application/x-www-form-urlencoded", code="invalid_form")
    try:
        fields = parse_qs(raw.decode(), keep_blank_values=True, strict_parsing=False, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the form body could not be read", code="invalid_form") from None
    form = {name: values[-1] for name, values in fields.items()}
    expected = csrf if csrf is not None else (viewer.csrf if viewer is not None else "")
    if not expected or not hmac.compare_digest(form.get("csrf", "").encode(), expected.encode()):
        raise PermissionDenied("the form's CSRF token is missing or wrong; reload the page and try again",
                               code="csrf_failed")
    return form


def field(form: Form, name: str, limit: int = 200) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise BadRequest(f"the form field {name!r} is required", param=name)
    if len(value) > limit:
        raise BadRequest(f"the form field {name!r} is longer than {limit} characters", param=name)
    return value
