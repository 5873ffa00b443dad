"""Early exits from the injection cross-encoder: windows clearly benign after some layers skip the rest.

The shipped model is cut at layer boundaries named in the manifest (`exit.stages[].split`): the first part runs
on every window, and at each cut a linear gate on the mean-pooled hidden states says whether the window is far
enough from an attack that the remaining layers cannot change the verdict. Only windows the gate is sure of
exit; the rest continue through the next part, and the last part's logits are exactly the whole model's (the
cuts split the same graph).

The gate is fitted by `evals/train_injection_exit.py` on the training split's windows, and its bound per role
class (per exit) is the lowest gate value of any calibration window whose full-model logit came within `margin` logits of
triggering at the shipped thresholds, so no such window exits. A policy whose threshold for a role is lower
than the exit was validated for (`valid_from`) runs that role through the whole model. An exited window is
scored by a second linear estimate of the full model's logit, capped below the validated bound.
"""

from __future__ import annotations

import math
from itertools import pairwise
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

CLASSES = ("user", "indirect")
"""Role classes the gate is calibrated for: user and assistant turns, documents and tool results."""


@dataclass(frozen=True, slots=True)
class Exit:
    """One exit point: the tensor the model is cut at, the gate and the logit estimate over [mean-pooled hidden
    states, is-indirect], and per role class the gate's bound and the cap on an exited window's logit."""

    split: str
    gate: np.ndarray
    gate_bias: float
    estimate: np.ndarray
    estimate_bias: float
    bound: Mapping[str, float]
    ceiling: Mapping[str, float]

    def exits(self, pooled: np.ndarray, indirect: Sequence[bool], allowed: Sequence[bool]) -> list[float | None]:
        """Per row of `pooled`, the estimated logit if the row may stop here, else None."""
        features = np.hstack([pooled, np.asarray(indirect, dtype=np.float32)[:, None]])
        gate = features @ self.gate + self.gate_bias
        estimate = features @ self.estimate + self.estimate_bias
        out: list[float | None] = []
        for g, e, is_indirect, ok in zip(gate.tolist(), estimate.tolist(), indirect, allowed, strict=True):
            kind = "indirect" if is_indirect else "user"
            out.append(min(e, self.ceiling[kind]) if ok and g < self.bound[kind] else None)
        return out


@dataclass(frozen=True, slots=True)
class ExitHead:
    """The model's exits in layer order, the tensors carried past the cuts, and the thresholds validated for."""

    stages: tuple[Exit, ...]
    carried: tuple[str, ...]
    valid_from: Mapping[str, float]

    @classmethod
    def from_manifest(cls, section: Mapping[str, Any], width: int) -> ExitHead:
        """Read and check the manifest's `exit` section (ValueError if malformed: the model is refused, never
        half-loaded)."""
        try:
            head = cls(
                stages=tuple(
                    Exit(
                        split=str(stage["split"]),
                        gate=np.asarray(stage["gate"], dtype=np.float32),
                        gate_bias=float(stage["gate_bias"]),
                        estimate=np.asarray(stage["estimate"], dtype=np.float32),
                        estimate_bias=float(stage["estimate_bias"]),
                        bound={k: float(stage["bound"][k]) for k in CLASSES},
                        ceiling={k: float(stage["ceiling"][k]) for k in CLASSES},
                    )
                    for stage in section["stages"]
                ),
                carried=tuple(str(name) for name in section["carried"]),
                valid_from={k: float(section["valid_from"][k]) for k in CLASSES},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed exit section ({exc!r})") from None
        if not head.stages:
            raise ValueError("an exit section needs at least one stage")
        for stage in head.stages:
            numbers = [*stage.gate, *stage.estimate, stage.gate_bias, stage.estimate_bias, *stage.bound.values(),
                       *stage.ceiling.values(), *head.valid_from.values()]
            if stage.gate.shape != (width + 1,) or stage.estimate.shape != (width + 1,) \
                    or not all(map(math.isfinite, numbers)):
                raise ValueError(f"exit weights must be {width + 1} finite numbers each")
        return head


def split_model(model_bytes: bytes, splits: Sequence[str], carried: Sequence[str]) -> list[bytes]:
    """The graph cut at each tensor of `splits` (in layer order): the first part outputs the first cut and the
    `carried` tensors (attention masks) the later parts read; each next part maps one cut to the next; the last
    maps the last cut to the logits. The parts are the graph's own nodes, unchanged."""
    import onnx
    from onnx.utils import Extractor

    graph = onnx.load_from_string(model_bytes)
    inputs = [i.name for i in graph.graph.input]
    outputs = [o.name for o in graph.graph.output]
    names = {out for node in graph.graph.node for out in node.output}
    missing = [name for name in (*splits, *carried) if name not in names]
    if missing:
        raise ValueError(f"no tensor named {missing[0]!r} to split at")
    extractor = Extractor(graph)
    parts = [extractor.extract_model(inputs, [splits[0], *carried])]
    parts += [extractor.extract_model([a, *carried], [b]) for a, b in pairwise(splits)]
    parts.append(extractor.extract_model([splits[-1], *carried], outputs))
    return [part.SerializeToString() for part in parts]


def mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of each row's hidden states over its real (unpadded) tokens."""
    weights = mask.astype(np.float32)[:, :, None]
    return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
