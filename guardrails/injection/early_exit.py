"""Early exit from the injection cross-encoder: texts clearly benign after its first layers skip the rest.

The shipped model is split in two at a layer boundary named in the manifest (`exit.split`): the first part runs
on every window, and a linear gate on its mean-pooled hidden states says whether the window is far enough from
an attack that the remaining layers cannot change the verdict. Only windows the gate is sure of exit; the rest
continue through the second part, whose logits are exactly the whole model's (the split cuts the same graph).

The gate is fitted by `evals/train_injection_exit.py` on the training split's windows, and its bound per role
class is the lowest gate value of any calibration window whose full-model logit came within `margin` logits of
triggering at the shipped thresholds, so no such window exits. A policy whose threshold for a role is lower
than the exit was validated for (`valid_from`) runs that role through the whole model. An exited window is
scored by a second linear estimate of the full model's logit, capped below the validated bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

CLASSES = ("user", "indirect")
"""Role classes the gate is calibrated for: user and assistant turns, documents and tool results."""


@dataclass(frozen=True, slots=True)
class ExitHead:
    """The gate and the logit estimate over [mean-pooled hidden states, is-indirect], with bounds per class."""

    split: str
    carried: tuple[str, ...]
    gate: np.ndarray
    gate_bias: float
    estimate: np.ndarray
    estimate_bias: float
    bound: Mapping[str, float]
    ceiling: Mapping[str, float]
    valid_from: Mapping[str, float]

    @classmethod
    def from_manifest(cls, section: Mapping[str, Any], width: int) -> ExitHead:
        """Read and check the manifest's `exit` section (ValueError if malformed: the model is refused, never
        half-loaded)."""
        try:
            head = cls(
                split=str(section["split"]),
                carried=tuple(str(name) for name in section["carried"]),
                gate=np.asarray(section["gate"], dtype=np.float32),
                gate_bias=float(section["gate_bias"]),
                estimate=np.asarray(section["estimate"], dtype=np.float32),
                estimate_bias=float(section["estimate_bias"]),
                bound={k: float(section["bound"][k]) for k in CLASSES},
                ceiling={k: float(section["ceiling"][k]) for k in CLASSES},
                valid_from={k: float(section["valid_from"][k]) for k in CLASSES},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed exit section ({exc!r})") from None
        numbers = [*head.gate, *head.estimate, head.gate_bias, head.estimate_bias, *head.bound.values(),
                   *head.ceiling.values(), *head.valid_from.values()]
        if head.gate.shape != (width + 1,) or head.estimate.shape != (width + 1,) or not all(map(math.isfinite, numbers)):
            raise ValueError(f"exit weights must be {width + 1} finite numbers each")
        return head

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


def split_model(model_bytes: bytes, split: str, carried: Sequence[str]) -> tuple[bytes, bytes]:
    """The graph cut at tensor `split`: the first part outputs it and the `carried` tensors (attention masks)
    the second part reads; the second part maps them to the logits. Both parts are the same nodes, unchanged."""
    import onnx
    from onnx.utils import Extractor

    graph = onnx.load_from_string(model_bytes)
    inputs = [i.name for i in graph.graph.input]
    outputs = [o.name for o in graph.graph.output]
    names = {out for node in graph.graph.node for out in node.output}
    missing = [name for name in (split, *carried) if name not in names]
    if missing:
        raise ValueError(f"no tensor named {missing[0]!r} to split at")
    extractor = Extractor(graph)
    first = extractor.extract_model(inputs, [split, *carried])
    second = extractor.extract_model([split, *carried], outputs)
    return first.SerializeToString(), second.SerializeToString()


def mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of each row's hidden states over its real (unpadded) tokens."""
    weights = mask.astype(np.float32)[:, :, None]
    return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
