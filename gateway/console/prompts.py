"""Prompts with their labels, history and eval results. A team key sees the prompts its team owns (`team:` in the
prompt file) and their eval runs; an admin key sees every prompt."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from gateway.api.deps import gateway_of
from gateway.console.forms import run_page
from gateway.console.render import page
from gateway.console.session import Viewer
from gateway.errors import NotFound, ServiceUnavailable
from gateway.prompts.catalog import HistoryEntry, PromptCatalog
from gateway.prompts.errors import PromptError
from registry.eval_runs import EvalRun, list_runs

router = APIRouter()


@dataclass(frozen=True, slots=True)
class PromptRow:
    name: str
    team: str
    model: str
    description: str
    labels: dict[str, str]


def _visible(request: Request, viewer: Viewer) -> list[PromptRow]:
    store = gateway_of(request).prompts
    if store is None:
        raise ServiceUnavailable("the gateway runs without a prompt store", code="prompts_disabled")
    head = store.snapshot.head
    team = None if viewer.is_admin else viewer.principal.team
    return [PromptRow(name, p.spec.team, p.spec.model, p.spec.description,
                      {label: sha[:7] for label, sha in sorted(head.labels.get(name, {}).items())})
            for name, p in sorted(head.prompts.items()) if team is None or p.spec.team == team]


def _history(request: Request, name: str) -> list[HistoryEntry]:
    config = gateway_of(request).config.prompts
    if config is None or config.path is None:
        return []  # a remote store's history is read where the repository lives
    try:
        return PromptCatalog(config.path).history(name)
    except PromptError:
        return []


@router.get("/console/prompts")
async def prompts_page(request: Request, name: str | None = None) -> Response:
    async def show(viewer: Viewer) -> Response:
        prompts = _visible(request, viewer)
        chosen = next((p for p in prompts if p.name == name), None) if name else None
        if name and chosen is None:
            raise NotFound(f"no prompt {name!r} that this key may see", code="prompt_not_found")
        history = await asyncio.to_thread(_history, request, chosen.name) if chosen else []
        engine = gateway_of(request).engine
        runs: list[EvalRun] = []
        for prompt in [chosen] if chosen else prompts:
            runs += await asyncio.to_thread(list_runs, engine, prompt.name, 20)
        runs.sort(key=lambda r: r.created_at, reverse=True)
        return page(request, "prompts.html", viewer, active="prompts", prompts=prompts, chosen=chosen,
                    history=history, runs=runs[:50])

    return await run_page(request, show)
