"""The PII engine loads without PyTorch: Presidio and thinc probe for it, the engine never calls it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from guardrails.pii.lean_import import hidden


def test_hidden_packages_look_absent_inside_the_block_only() -> None:
    before = list(sys.meta_path)
    with hidden(["json_not_installed_here", "email"]):
        with pytest.raises(ModuleNotFoundError, match="json_not_installed_here"):
            import json_not_installed_here  # type: ignore[import-not-found]  # noqa: F401
        import email  # already imported: left alone

        assert email is sys.modules["email"]
    assert sys.meta_path == before


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed: nothing to hide")
def test_loaded_engine_has_not_imported_torch_or_transformers() -> None:
    code = (
        "import sys\n"
        "from guardrails.pii.engine import PiiEngine\n"
        "engine = PiiEngine(); engine.load()\n"
        "found = engine.analyze_batch(['I am Jane Martin, mail jane@example.com'])[0]\n"
        "print(sorted({e.entity_type for e in found}), 'torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.split("\n")[-2] == "['EMAIL_ADDRESS', 'PERSON'] False False"
