"""Every class attribute a guardrail author can set is documented in the README, as is every segment role."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, get_args, get_origin, get_type_hints

import pytest

from guardrails.base import Guardrail, Role

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _class_attributes() -> list[str]:
    hints = get_type_hints(Guardrail, include_extras=True)
    return sorted(name for name, hint in hints.items() if get_origin(hint) is ClassVar)


def test_the_contract_has_the_expected_hooks() -> None:
    assert {"name", "Options", "stages", "default_on_error", "needs_full_text", "checks_tool_calls"} <= set(
        _class_attributes())


@pytest.mark.parametrize("attribute", _class_attributes())
def test_every_guardrail_class_attribute_is_in_the_readme(attribute: str) -> None:
    assert f"| `{attribute}` |" in README, f"document Guardrail.{attribute} in the README's table"


@pytest.mark.parametrize("role", get_args(Role))
def test_every_segment_role_is_in_the_readme(role: str) -> None:
    assert f"`{role}`" in README
