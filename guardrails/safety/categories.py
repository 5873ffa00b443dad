"""The closed set of harm categories the content-safety guardrail reports (finding kind = category)."""

from __future__ import annotations

from typing import Literal, get_args

Category = Literal[
    "violence",
    "weapons",
    "self_harm",
    "sexual_minors",
    "hate",
    "harassment",
    "illegal_drugs",
    "cybercrime",
    "fraud",
    "extremism",
    "privacy",
]
CATEGORIES: tuple[Category, ...] = get_args(Category)
