"""Console sessions: a signed cookie naming the key (never the key itself), and a CSRF token bound to it.

The cookie holds `key_id.expiry.nonce.signature`; every page resolves it to the key's current principal, so a
revoked or expired key loses the console at once. The signing secret is `WARDEN_CONSOLE_SECRET`, else derived from
the master key, else random per process (sessions then end with the process and do not span workers).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
import time
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from gateway.api.deps import gateway_of
from gateway.api.registry_common import actor_for
from gateway.auth import principal_of
from gateway.errors import BadRequest, ServiceUnavailable
from gateway.pipeline.context import Principal
from gateway.providers.deployments import resolve_secret
from registry.db import session_scope
from registry.governance import Actor
from registry.tables import ApiKey, Team, utcnow

log = logging.getLogger("warden.console")
COOKIE = "warden_console"
LIFETIME_S = 8 * 3600


class NotSignedIn(Exception):
    """No valid session: the page sends the browser to the login form."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at a console page: the key's principal, its governance actor and its CSRF token."""

    principal: Principal
    actor: Actor
    csrf: str

    @property
    def is_admin(self) -> bool:
        return self.principal.is_admin

    def team_scope(self) -> str | None:
        """The team whose usage this viewer may read: None (every team) only for an admin key."""
        if self.is_admin:
            return None
        if self.principal.team is None:
            raise BadRequest("this key belongs to no team, so it has no usage to show", code="no_team")
        return self.principal.team


def secret_of(request: Request) -> bytes:
    state = request.app.state
    cached = getattr(state, "console_secret", None)
    if cached is None:
        cached = _secret(gateway_of(request).config.general_settings.master_key)
        state.console_secret = cached
    return cached


def _secret(master_setting: str | None) -> bytes:
    configured = os.environ.get("WARDEN_CONSOLE_SECRET")
    if configured:
        return hashlib.sha256(configured.encode()).digest()
    master, _ = resolve_secret(master_setting, "general_settings.master_key")
    if master:
        return hashlib.sha256(b"warden-console\0" + master.encode()).digest()
    log.warning("console sessions use a per-process secret: set WARDEN_CONSOLE_SECRET to share them across workers")
    return secrets.token_bytes(32)


def _sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def new_session(secret: bytes, key_id: str, now: float | None = None) -> str:
    payload = f"{key_id}.{int((now or time.time()) + LIFETIME_S)}.{secrets.token_hex(8)}"
    return f"{payload}.{_sign(secret, payload)}"


def session_key_id(secret: bytes, cookie: str | None, now: float | None = None) -> str:
    """The key id a cookie names, if its signature holds and it has not expired."""
    parts = (cookie or "").split(".")
    if len(parts) != 4 or not parts[1].isdigit():
        raise NotSignedIn("no session")
    payload = ".".join(parts[:3])
    if not hmac.compare_digest(_sign(secret, payload), parts[3]):
        raise NotSignedIn("bad signature")
    if int(parts[1]) <= (now or time.time()):
        raise NotSignedIn("session expired")
    return parts[0]


def csrf_token(secret: bytes, cookie: str) -> str:
    return _sign(secret, "csrf\0" + cookie)


def principal_by_id(engine: Engine, key_id: str, master_configured: bool) -> Principal:
    """The key's principal as the API would see it now (revoked or expired keys have none)."""
    if key_id == "master":
        if not master_configured:
            raise NotSignedIn("no master key")
        return Principal(key_id="master", role="admin", team=None, models=None)
    with session_scope(engine) as session:
        key = session.get(ApiKey, key_id)
        if key is None or key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= utcnow()):
            raise NotSignedIn("key gone")
        team = session.get(Team, key.team) if key.team else None
        return principal_of(key, team)


async def viewer_of(request: Request) -> Viewer:
    cookie = request.cookies.get(COOKIE)
    secret = secret_of(request)
    key_id = session_key_id(secret, cookie)
    gw = gateway_of(request)
    master = resolve_secret(gw.config.general_settings.master_key, "general_settings.master_key")[0] is not None
    try:
        principal = await asyncio.to_thread(principal_by_id, gw.engine, key_id, master)
    except OperationalError:
        raise ServiceUnavailable("the key registry is unreachable; retry shortly", code="key_registry_unavailable",
                                 headers={"retry-after": "2"}) from None
    return Viewer(principal, actor_for(principal), csrf_token(secret, cookie or ""))
