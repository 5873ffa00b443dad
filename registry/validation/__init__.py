"""Validation computed from data: metrics overall and per segment with bootstrap intervals, fairness per sensitive
attribute, robustness on edge cases and perturbations, written as a `ValidationReport` on a model version."""
