"""Every example prompt in prompts/ ships a suite that passes on replay from its committed cassette."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from gateway.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_each_example_prompt_has_a_suite() -> None:
    # The judges' rubrics (prompts/judges/) are read by the judge tier, not sent by apps: they need no suite.
    prompts = sorted(p.stem for p in (ROOT / "prompts").rglob("*.md")
                     if p.name != "README.md" and p.parent.name != "judges")
    suites = sorted(p.name.removesuffix(".eval.yaml") for p in (ROOT / "prompts").rglob("*.eval.yaml"))
    assert prompts == suites
    for suite in (ROOT / "prompts").rglob("*.eval.yaml"):
        assert suite.with_name(suite.name.replace(".eval.yaml", ".cassette.json")).exists()


def test_shipped_suites_pass_on_replay(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "run", str(ROOT / "prompts"), "--replay", "--no-store",
                                      "--junit", str(tmp_path / "junit.xml")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "support-answer: 13/13 passed" in result.output
    assert "ticket-classifier: 4/4 passed" in result.output and "summarise-thread: 3/3 passed" in result.output


def test_builtin_suites_lint() -> None:
    result = CliRunner().invoke(cli, ["eval", "lint", str(ROOT / "evals" / "suites"), str(ROOT / "prompts")])
    assert result.exit_code == 0, result.output
    assert "0 with errors" in result.output
