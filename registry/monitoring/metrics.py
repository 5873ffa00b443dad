"""Task metrics computed with numpy: classification, regression, ranking and operational."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

HIGHER_IS_BETTER = {"accuracy", "precision", "recall", "f1", "roc_auc", "ndcg", "map", "mrr", "throughput"}
LOWER_IS_BETTER = {"rmse", "mae", "mape", "latency_p50", "latency_p95", "latency_p99", "error_rate"}

# The task metrics a check computes per task (ranking windows are not scored: no metric of theirs is ever checked).
TASK_METRICS: dict[str, tuple[str, ...]] = {
    "classification": ("accuracy", "precision", "recall", "f1", "roc_auc"),
    "regression": ("rmse", "mae", "mape"),
    "ranking": (),
}
# Names teams write for a metric the checks know under another one.
METRIC_ALIASES = {"auc": "roc_auc", "auroc": "roc_auc", "roc-auc": "roc_auc", "f1_score": "f1", "acc": "accuracy"}


def validated_metric_names(task: str, metrics: Mapping[str, float]) -> dict[str, float]:
    """`metrics` under the names the checks compute; a name they never compute is refused, not silently unchecked."""
    known = TASK_METRICS[task]
    canonical = {name: METRIC_ALIASES.get(name.lower(), name.lower()) for name in metrics}
    unknown = [name for name, mapped in canonical.items() if mapped not in known]
    if unknown:
        raise ValueError(
            f"validated metrics {unknown!r} are never computed for task {task!r}; known: {list(known) or 'none'}"
        )
    if len(set(canonical.values())) != len(canonical):
        raise ValueError(f"validated metrics {sorted(metrics)!r} name the same metric twice")
    return {canonical[name]: float(value) for name, value in metrics.items()}


def classification(actual: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None = None) -> dict[str, float]:
    """Accuracy, and precision/recall/F1 (binary on class 1, macro-averaged beyond two classes); AUC when scores given."""
    actual, predicted = np.asarray(actual), np.asarray(predicted)
    if actual.size == 0:
        return {}
    classes = np.union1d(actual, predicted)
    positives = [1] if set(classes.tolist()) <= {0, 1} else classes.tolist()
    per_class = [_binary_prf(actual == c, predicted == c) for c in positives]
    result = {
        "accuracy": float(np.mean(actual == predicted)),
        "precision": float(np.mean([p for p, _, _ in per_class])),
        "recall": float(np.mean([r for _, r, _ in per_class])),
        "f1": float(np.mean([f for _, _, f in per_class])),
    }
    if scores is not None and len(positives) == 1:
        result["roc_auc"] = roc_auc(actual == 1, np.asarray(scores, dtype=np.float64))
    return result


def _binary_prf(actual: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(actual & predicted))
    precision = tp / predicted.sum() if predicted.sum() else 0.0
    recall = tp / actual.sum() if actual.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def roc_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve via the rank-sum (Mann-Whitney) identity, ties counted half."""
    from scipy.stats import rankdata

    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def regression(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """RMSE, MAE, and MAPE over the non-zero actuals (MAPE is undefined at zero)."""
    actual, predicted = np.asarray(actual, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    if actual.size == 0:
        return {}
    error = predicted - actual
    nonzero = actual != 0
    result = {"rmse": float(np.sqrt(np.mean(error**2))), "mae": float(np.mean(np.abs(error)))}
    if nonzero.any():
        result["mape"] = float(np.mean(np.abs(error[nonzero] / actual[nonzero])))
    return result


def ranking(relevance_lists: Sequence[Sequence[float]], k: int | None = None) -> dict[str, float]:
    """NDCG@k, MAP and MRR over queries; each list holds the graded relevance of the results in ranked order."""
    if not relevance_lists:
        return {}
    ndcgs, aps, rrs = [], [], []
    for relevance in relevance_lists:
        rel = np.asarray(relevance, dtype=np.float64)[: k or None]
        ideal = np.sort(np.asarray(relevance, dtype=np.float64))[::-1][: k or None]
        discounts = 1 / np.log2(np.arange(2, rel.size + 2))
        ideal_dcg = float(np.sum((2**ideal - 1) * discounts[: ideal.size]))
        ndcgs.append(float(np.sum((2**rel - 1) * discounts)) / ideal_dcg if ideal_dcg > 0 else 0.0)
        hits = rel > 0
        precision_at = np.cumsum(hits) / np.arange(1, rel.size + 1)
        total_relevant = int(np.sum(np.asarray(relevance) > 0))
        aps.append(float(np.sum(precision_at[hits]) / total_relevant) if total_relevant else 0.0)
        rrs.append(1.0 / (int(np.argmax(hits)) + 1) if hits.any() else 0.0)
    return {"ndcg": float(np.mean(ndcgs)), "map": float(np.mean(aps)), "mrr": float(np.mean(rrs))}


def operational(latency_ms: np.ndarray, errors: np.ndarray, window_seconds: float) -> dict[str, float]:
    """Latency percentiles, error rate and throughput (requests per second) of a window."""
    latency = np.asarray(latency_ms, dtype=np.float64)
    latency = latency[~np.isnan(latency)]
    count = int(np.asarray(errors).size)
    result = {"throughput": count / window_seconds if window_seconds > 0 else 0.0}
    if count:
        result["error_rate"] = float(np.mean(errors))
    if latency.size:
        p50, p95, p99 = np.percentile(latency, [50, 95, 99])
        result |= {"latency_p50": float(p50), "latency_p95": float(p95), "latency_p99": float(p99)}
    return result
