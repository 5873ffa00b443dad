"""Builds the configured guardrail policies and runs them for the pipeline.

Every guardrail named in a policy is looked up in the guardrail registry and its options are validated
strictly when the gateway starts, so a typo in a policy stops start-up instead of silently disabling a check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from gateway.config import ConfigError, GatewayConfig, GuardrailSpec, PolicyConfig
from gateway.judge import RouterJudge
from guardrails import registry
from guardrails.base import Guardrail, Stage
from guardrails.chain import Chain
from guardrails.judge import JudgedGuardrail

if TYPE_CHECKING:
    from gateway.providers.router import Router

MODERATION_GUARDRAILS = ("content_safety", "injection")


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    config: PolicyConfig
    input: Chain
    output: Chain

    def chain(self, stage: Stage) -> Chain:
        return self.input if stage == "input" else self.output


class GuardrailEngine:
    def __init__(self, config: GatewayConfig, router: Router | None = None) -> None:
        self.policies: dict[str, Policy] = {}
        self.default = config.default_policy
        self.judge = _judge(config, router)
        self._moderation: Chain | None = None
        self._moderation_lock = asyncio.Lock()
        for name, policy in config.guardrail_policies.items():
            self.policies[name] = Policy(
                name, policy, Chain(self._judged(_build(name, "input", policy.input, policy.on_error), policy.input)),
                Chain(self._judged(_build(name, "output", policy.output, policy.on_error), policy.output))
            )

    def _judged(self, guardrails: list[Guardrail], specs: Sequence[GuardrailSpec]) -> list[Guardrail]:
        """Guardrails whose policy entry has a `judge` band are wrapped so that band goes to the judge model."""
        if self.judge is None:
            return guardrails
        return [
            JudgedGuardrail(g, self.judge, s.judge.low, s.judge.high, self.judge.config.timeout_s) if s.judge else g
            for g, s in zip(guardrails, specs, strict=True)
        ]

    async def start(self) -> None:
        if self.policies:
            _one_blas_thread()
        seen: set[int] = set()
        for policy in self.policies.values():
            for guardrail in [*policy.input.guardrails, *policy.output.guardrails]:
                if id(guardrail) not in seen:
                    seen.add(id(guardrail))
                    await guardrail.setup()
        if self.policies:
            _one_blas_thread()  # again: loading the models brought in more BLAS libraries (SciPy's OpenBLAS)

    async def moderation(self) -> Chain:
        """Warden's own detectors in `flag` mode, for `/v1/moderations`. Built on first use and loaded in a
        worker thread: most gateways never serve the route, and loading the models takes seconds."""
        async with self._moderation_lock:
            if self._moderation is None:
                guardrails = [(cls := registry.get(name))(cls.Options(mode="flag")) for name in MODERATION_GUARDRAILS]
                for guardrail in guardrails:
                    await asyncio.to_thread(asyncio.run, guardrail.setup())
                _one_blas_thread()
                self._moderation = Chain(guardrails)
        return self._moderation

    def policy(self, name: str | None) -> Policy | None:
        name = name or self.default
        return self.policies.get(name) if name else None


def _judge(config: GatewayConfig, router: Router | None) -> RouterJudge | None:
    detectors = {s.guardrail for p in config.guardrail_policies.values() for s in [*p.input, *p.output] if s.judge}
    if config.judge is None or router is None or not detectors:
        return None
    return RouterJudge(config.judge, router, detectors)


def _build(policy: str, stage: Stage, specs: Sequence[GuardrailSpec], on_error: str | None) -> list[Guardrail]:
    out = []
    for index, spec in enumerate(specs):
        where = f"guardrail_policies.{policy}.{stage}[{index}] ({spec.guardrail})"
        try:
            cls = registry.get(spec.guardrail)
        except registry.UnknownGuardrailError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if stage not in cls.stages:
            raise ConfigError(f"{where}: guardrail {spec.guardrail!r} does not run on the {stage} stage")
        try:
            values = spec.options()
            if on_error is not None:
                values.setdefault("on_error", on_error)
            options = cls.Options.model_validate(values)
        except ValidationError as exc:
            error = exc.errors()[0]
            key = ".".join(str(p) for p in error["loc"])
            raise ConfigError(f"{where}: option {key!r}: {error['msg']}") from None
        out.append(cls(options))
    return out


def _one_blas_thread() -> None:
    """One BLAS thread for the whole process: the guardrails' matrix work (spaCy's NER) runs in request
    threads already, two or three at once; OpenBLAS spreading each product over every core as well made them
    fight (measured: PII then MiniLM on one message, 18.1 ms with its default threads, 13.1 ms with one)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")

