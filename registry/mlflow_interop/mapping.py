"""How an MLflow model version and its run become a version spec: parameters as hyperparameters, metrics by split
(from the usual `train_` / `val_` / `test_` prefixes), the artefact URIs and the run id as lineage."""

from __future__ import annotations

from registry.governance.records import MetricValue, Scalar
from registry.governance.specs import Artifact, Lineage, MlflowRef, VersionSpec
from registry.mlflow_interop.client import MlflowRun, MlflowVersion

SPLITS = (
    ("train", ("train_", "training_")),
    ("validation", ("val_", "valid_", "validation_", "eval_")),
    ("test", ("test_",)),
)


def split_of(key: str) -> tuple[str, str]:
    """`val_accuracy` -> ("validation", "accuracy"); a key without a known prefix counts as validation."""
    lowered = key.lower()
    for split, prefixes in SPLITS:
        for prefix in prefixes:
            if lowered.startswith(prefix) and len(key) > len(prefix):
                return split, key[len(prefix):]
    return "validation", key


def scalar(text: str) -> Scalar:
    """MLflow stores every parameter as a string; numbers and booleans are typed again."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def mlflow_owned(version: MlflowVersion, run: MlflowRun | None) -> dict[str, object]:
    """The spec fields MLflow is the source of; the others (datasets, features, validation...) stay Warden's."""
    metrics = [] if run is None else [
        MetricValue(split=split, name=name, value=value)  # type: ignore[arg-type]
        for split, name, value in sorted((*split_of(k), v) for k, v in run.metrics.items())
    ]
    artifacts = [Artifact(uri=uri) for uri in dict.fromkeys(u for u in (version.source,) if u)]
    lineage = Lineage(
        experiment=run.experiment if run else None,
        run_id=version.run_id,
        artifacts=artifacts,
        mlflow=MlflowRef(model=version.name, version=version.version, stage=version.stage,
                         aliases=sorted(version.aliases)),
    )
    return {
        "hyperparameters": {} if run is None else {k: scalar(v) for k, v in sorted(run.params.items())},
        "metrics": metrics,
        "lineage": lineage,
    }


def merged_spec(current: VersionSpec | None, version: MlflowVersion, run: MlflowRun | None) -> VersionSpec:
    base = current or VersionSpec()
    owned = mlflow_owned(version, run)
    if run is not None and base.framework is None and run.tags.get("mlflow.autologging"):
        owned["framework"] = run.tags["mlflow.autologging"]
    if run is not None and base.architecture is None and run.tags.get("estimator_class"):
        owned["architecture"] = run.tags["estimator_class"]
    return base.model_copy(update=owned)
