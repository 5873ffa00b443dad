"""Pages from Jinja templates in a sandboxed, autoescaping environment, with headers that keep them self-contained."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from gateway.console.session import Viewer

TEMPLATES = Path(__file__).parent / "templates"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"content-security-policy": CSP, "x-frame-options": "DENY", "referrer-policy": "same-origin",
           "x-content-type-options": "nosniff", "cache-control": "no-store"}
NAV = (("costs", "Costs"), ("traffic", "Traffic"), ("guardrails", "Guardrails"), ("prompts", "Prompts"),
       ("models", "Models"), ("alerts", "Alerts"), ("reviews", "Reviews"),
       ("keys", "Keys & teams"))
ADMIN_PAGES = frozenset({"keys", "reviews"})


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True)
    env.filters["usd"] = usd
    env.filters["num"] = lambda v: f"{float(v or 0):,.0f}"
    env.filters["pct"] = lambda v: f"{100 * float(v or 0):.1f}%"
    env.filters["ms"] = lambda v: "-" if v is None else f"{float(v):,.1f} ms"
    return env


def usd(value: object) -> str:
    amount = float(value or 0)  # type: ignore[arg-type]
    return f"${amount:,.6f}" if 0 < abs(amount) < 0.01 else f"${amount:,.4f}"


def svg(markup: str) -> Markup:
    """A chart drawn by `registry.monitoring.svg` (it escapes every label itself)."""
    return Markup(markup)  # noqa: S704 - built from escaped labels and numbers only


def page(request: Request, template: str, viewer: Viewer | None, status: int = 200, **context: object) -> HTMLResponse:
    nav = [(name, title) for name, title in NAV if name not in ADMIN_PAGES or (viewer is not None and viewer.is_admin)]
    html = environment().get_template(template).render(viewer=viewer, nav=nav, **context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def error_page(request: Request, viewer: Viewer | None, status: int, message: str) -> HTMLResponse:
    return page(request, "error.html", viewer, status=status, status_code=status, message=message)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"cache-control": "no-store"})
