"""The gateway's judge: renders a guardrail's rubric from prompts/judges and asks the judge model via the router.

Rubrics are prompt-store documents (front matter + `## system` / `## user`), compiled in the store's sandbox, so
a rubric is reviewed and versioned like any prompt and cannot reach Python. A ruling is cached by the model name
and the exact rendered messages: the same answer over the same context is judged once, and a cache hit costs
nothing (no upstream call, zero tokens on the usage row).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from gateway.config import ConfigError, JudgeConfig
from gateway.prompts.document import MessageTemplate, parse_document
from gateway.providers.base import Completion, Deployment, Provider
from gateway.providers.cost import token_details
from gateway.providers.router import Router
from guardrails.judge import JudgeReply
from guardrails.lru import Lru

_MAX_INPUT_CHARS = 24_000
"""Each input is cut here: a judge prompt stays bounded whatever the answer or the documents weigh."""


class RouterJudge:
    """A `guardrails.judge.Judge` that calls `config.model` through Warden's router."""

    def __init__(self, config: JudgeConfig, router: Router, detectors: set[str]) -> None:
        self.config, self._router = config, router
        self._rubrics = {name: _load_rubric(config.prompts_dir, name) for name in sorted(detectors)}
        self._cache: Lru[str, JudgeReply] = Lru(max(1, config.cache_size))
        self.upstream_calls = 0

    async def __call__(self, detector: str, inputs: Mapping[str, str]) -> JudgeReply:
        values = {k: v[:_MAX_INPUT_CHARS] for k, v in inputs.items()}
        messages = [{"role": m.role, "content": m.compiled.template.render(values)} for m in self._rubrics[detector]]
        key = hashlib.sha256(orjson.dumps([self.config.model, messages])).hexdigest()
        hit = self._cache.get(key) if self.config.cache_size else None
        if hit is not None:
            return JudgeReply(hit.text, cached=True)
        payload: dict[str, Any] = {"model": self.config.model, "messages": messages, "temperature": 0,
                                   "max_tokens": self.config.max_tokens}
        self.upstream_calls += 1
        completion, served = await self._router.run(self.config.model, payload, _chat)
        choices = completion.body.get("choices") or [{}]
        text = str((choices[0].get("message") or {}).get("content") or "")
        cost = served.deployment.prices.cost(completion.prompt_tokens, completion.completion_tokens,
                                             token_details(completion.body.get("usage")))
        reply = JudgeReply(text, completion.prompt_tokens, completion.completion_tokens, cost)
        if self.config.cache_size:
            self._cache.put(key, reply)
        return reply


async def _chat(provider: Provider, deployment: Deployment, payload: dict[str, Any]) -> Completion:
    return await provider.chat(deployment, payload)


def _load_rubric(folder: Path, detector: str) -> tuple[MessageTemplate, ...]:
    path = folder / f"{detector}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"judge rubric for guardrail {detector!r} not readable at {str(path)!r}: {exc.strerror}") from None
    document = parse_document(text, str(path), expected_name=detector)
    if document.errors or not document.messages:
        issues = "; ".join(str(i) for i in document.errors) or "no messages"
        raise ConfigError(f"judge rubric {str(path)!r}: {issues}")
    return document.messages
