"""Promotion gates: checks that must pass before a label may move (e.g. an eval score, an owner's sign-off).

A gate is any object with a `name` and a `check` method (see `PromotionGate`). Gates are found through the
`warden.promotion_gates` entry-point group (each entry point names a class or factory called with no arguments)
and through `register_gate` (tests, embedding). There are none by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from gateway.prompts.model import ResolvedPrompt

ENTRY_POINT_GROUP = "warden.promotion_gates"


@dataclass(frozen=True, slots=True)
class GateResult:
    """A gate's verdict; `reasons` explain a refusal (and may note anything worth reading on success)."""

    ok: bool
    reasons: tuple[str, ...] = ()


@runtime_checkable
class PromotionGate(Protocol):
    """Decides whether `prompt` (at `to_commit`) may take `label`, which currently points at `from_ref` (or None)."""

    name: str

    def check(self, prompt: ResolvedPrompt, from_ref: str | None, to_commit: str, label: str) -> GateResult: ...


_REGISTERED: dict[str, PromotionGate] = {}


def register_gate(gate: PromotionGate) -> None:
    _REGISTERED[gate.name] = gate


def unregister_gate(name: str) -> None:
    _REGISTERED.pop(name, None)


def available_gates() -> dict[str, PromotionGate]:
    """Registered gates plus those of the entry-point group, by name (loaded on call, not at import)."""
    gates = dict(_REGISTERED)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in gates:
            gate = ep.load()()
            if not isinstance(gate, PromotionGate):
                raise TypeError(f"entry point {ep.value!r} does not build a PromotionGate")
            gates[ep.name] = gate
    return gates


def select_gates(names: Sequence[str]) -> list[PromotionGate]:
    """The gates named (all available ones when `names` is empty); raises `KeyError` quoting an unknown name."""
    gates = available_gates()
    if not names:
        return list(gates.values())
    unknown = [n for n in names if n not in gates]
    if unknown:
        raise KeyError(f"unknown promotion gate(s) {unknown!r}; available: {sorted(gates)!r}")
    return [gates[n] for n in names]


def run_gates(
    gates: Sequence[PromotionGate], prompt: ResolvedPrompt, from_ref: str | None, to_commit: str, label: str
) -> list[str]:
    """Every refusal reason, prefixed with the gate's name; empty when all gates pass."""
    reasons = []
    for gate in gates:
        result = gate.check(prompt, from_ref, to_commit, label)
        if not result.ok:
            reasons.extend(f"{gate.name}: {reason}" for reason in (result.reasons or ("refused",)))
    return reasons
