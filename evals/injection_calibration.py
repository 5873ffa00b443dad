"""Calibration of the injection model: per role class, the logit offset that puts the shipped thresholds where the
calibration negatives reach their target FPR; and the manifest of a weight file changed after training.

The calibration half of the dev split (`evals/injection_data.build()`, split "calib") is scored by the int8 model;
per role class (user and assistant vs documents and tools) the offset moves the score at which that class's
negatives reach `CALIBRATION_FPR` onto the shipped threshold of `RoleThresholds`. `evals/train_injection_model.py`
calls `offsets` after training; `recalibrate` (its `--recalibrate`) serves a file changed since, such as one
brought to 7-bit weights by `evals/requantize.py`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.injection_data import Case, build
from guardrails.injection.model import INDIRECT, InjectionModel, sha256_of
from guardrails.injection.options import RoleThresholds

# User and assistant turns are held to 1%: at 2% the two-epoch model blocked 4.8% of the dev split's benign requests
# (over-defence sets, French requests) against 2.6% at 1%. Documents and tool results at 3%: of 2, 3, 4 and 5%, the
# loosest at which the model trained with the EU-language data flags no more of the dev split's clean documents
# than the model without it did (pooled over the earlier document files 5.8% against 6.4%; 4% gave 7.0%).
CALIBRATION_FPR = {"user": 0.01, "indirect": 0.03}


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def offsets(model: InjectionModel, calib: Sequence[Case]) -> dict[str, float]:
    """Per role class, the logit shift that puts the calibration negatives' (1 - FPR) quantile on the threshold."""
    shipped = RoleThresholds()
    out: dict[str, float] = {}
    for name, roles, threshold in (("user", ("user", "assistant"), shipped.user), ("indirect", INDIRECT, shipped.document)):
        negatives = [c for c in calib if c.label == 0 and c.role in roles]
        scores = np.array(model.score([(c.role, c.request, c.text) for c in negatives]))
        cut = float(np.quantile(scores, 1 - CALIBRATION_FPR[name]))
        out[name] = logit(float(threshold or 0.5)) - logit(min(max(cut, 1e-6), 1 - 1e-6))
        print(f"calibration {name}: {len(negatives)} negatives, cut {cut:.4f} -> offset {out[name]:+.3f}", file=sys.stderr)
    return out


def recalibrate(path: Path, manifest_path: Path, seed: int) -> None:
    """The manifest of a changed weight file: its checksum and size, and offsets from the same calibration split."""
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("seed", seed) != seed:
        raise SystemExit(f"the manifest's model was calibrated on the split of seed {manifest['seed']}, not {seed}")
    manifest |= {"sha256": sha256_of(path), "size_bytes": path.stat().st_size,
                 "offsets": {"user": 0.0, "indirect": 0.0}}
    manifest.pop("exit", None)  # fitted on the former weights' hidden states: fit again for these
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")  # the loader checks the file against it
    calib = [c for c in build(seed=seed) if c.split == "calib"]
    manifest["offsets"] = offsets(InjectionModel(path, manifest_path), calib)
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps({k: manifest[k] for k in ("version", "sha256", "offsets", "size_bytes")}, indent=1))
