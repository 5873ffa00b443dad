"""Sign in with an API key (checked exactly as the API checks it), sign out."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response

from gateway.api.deps import gateway_of
from gateway.console.forms import field, read_form
from gateway.console.render import error_page, page, redirect
from gateway.console.session import COOKIE, LIFETIME_S, csrf_token, new_session, secret_of
from gateway.errors import WardenError

router = APIRouter()
LOGIN_COOKIE = "warden_console_login"


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/console", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


@router.get("/console/login")
async def login_form(request: Request) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_hex(16)
    response = page(request, "login.html", None, csrf=csrf_token(secret_of(request), "login\0" + nonce))
    _cookie(response, request, LOGIN_COOKIE, nonce, 3600)
    return response


@router.post("/console/login")
async def login(request: Request) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or ""
    try:
        form = await read_form(request, csrf=csrf_token(secret_of(request), "login\0" + nonce) if nonce else "")
        principal = await gateway_of(request).keys.principal(field(form, "key", 512))
    except WardenError as exc:
        return error_page(request, None, exc.status, exc.message)
    response = redirect("/console/costs")
    _cookie(response, request, COOKIE, new_session(secret_of(request), principal.key_id), LIFETIME_S)
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


@router.post("/console/logout")
async def logout(request: Request) -> Response:
    response = redirect("/console/login")
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("/console")
async def console_home() -> Response:
    return redirect("/console/costs")
