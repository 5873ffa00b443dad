"""A tiny, safe filter language for edge cases: `col op value [and col op value ...]`.

Nothing is evaluated: the expression is tokenised, each comparison checked against the known columns, and turned
into a boolean mask with numpy. Operators: == != < <= > >=; values: numbers, 'quoted' or "quoted" strings, bare words.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from registry.validation.options import ValidationInputError

OPERATORS: dict[str, Callable[[object, object], object]] = {
    "==": operator.eq, "!=": operator.ne, "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt,
}
_CLAUSE = re.compile(
    r"""\s*(?P<col>[A-Za-z_][A-Za-z0-9_.]*)\s*(?P<op>==|!=|<=|>=|<|>)\s*"""
    r"""(?P<val>'[^']*'|"[^"]*"|[^\s'"]+)\s*$"""
)
MAX_CLAUSES = 20


@dataclass(frozen=True, slots=True)
class Clause:
    column: str
    op: str
    value: float | str


def parse(expression: str) -> list[Clause]:
    parts = re.split(r"\s+and\s+", expression.strip(), flags=re.IGNORECASE)
    if not expression.strip() or len(parts) > MAX_CLAUSES:
        raise ValidationInputError(f"invalid filter {expression!r}: expected `column op value [and ...]`")
    clauses = []
    for part in parts:
        match = _CLAUSE.match(part)
        if match is None:
            raise ValidationInputError(f"invalid filter clause {part!r} in {expression!r}: expected `column op value`"
                                       f" with op one of {' '.join(OPERATORS)}")
        raw = match["val"]
        value: float | str
        if raw[0] in "'\"":
            value = raw[1:-1]
        else:
            try:
                value = float(raw)
            except ValueError:
                value = raw
        clauses.append(Clause(match["col"], match["op"], value))
    return clauses


def mask(frame: pd.DataFrame, expression: str) -> np.ndarray:
    """The rows matching every clause; a column that is not in the data is an error naming it."""
    result = np.ones(len(frame), dtype=bool)
    for clause in parse(expression):
        if clause.column not in frame.columns:
            raise ValidationInputError(f"filter column {clause.column!r} is not in the data "
                                       f"(columns: {sorted(frame.columns)})")
        values = frame[clause.column]
        if isinstance(clause.value, float):
            column = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            column = values.astype("string").to_numpy(dtype=object, na_value=None)
        with np.errstate(invalid="ignore"):
            try:
                matched = np.asarray(OPERATORS[clause.op](column, clause.value), dtype=bool)
            except TypeError:
                raise ValidationInputError(f"filter clause on {clause.column!r} compares with {clause.value!r}, "
                                           "which does not fit the column's values") from None
        result &= matched & pd.notna(column)
    return result
