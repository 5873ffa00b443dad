"""The `prompts` CLI group on a real repository: inspection, render, lint, promote/rollback and gates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli.prompts import prompts_group
from gateway.prompts.gates import GateResult, register_gate, unregister_gate
from gateway.prompts.labels import parse_labels
from gateway.prompts.model import ResolvedPrompt


def _run(workspace, *args: str) -> Result:
    return CliRunner().invoke(prompts_group, ["--prompts-dir", str(workspace.prompts), *args])


@pytest.fixture
def history(workspace, prompt_text) -> list[str]:
    """Three versions of `greet` (v1..v3) plus another prompt; returns the three commits."""
    shas = [workspace.commit({"team/greet.md": prompt_text.simple(marker=f"v{n}")}, f"greet v{n}") for n in (1, 2, 3)]
    workspace.commit({"other.md": prompt_text.simple("other")}, "add other")
    return shas


def _labels(workspace) -> dict[str, dict[str, str]]:
    return parse_labels((workspace.prompts / "labels.yaml").read_text())


def test_list_show_history_diff(workspace, history: list[str]) -> None:
    listed = _run(workspace, "list")
    assert listed.exit_code == 0, listed.output
    assert [line.split("\t")[0] for line in listed.output.splitlines()] == ["greet", "other"]
    shown = _run(workspace, "show", f"greet@{history[0][:7]}")
    assert shown.exit_code == 0 and f"-> {history[0]}" in shown.output and 'marker: "v1"' not in shown.output
    assert 'default: "v1"' in shown.output
    log = _run(workspace, "history", "greet")
    assert [line.split()[0] for line in log.output.splitlines()] == [s[:7] for s in reversed(history)]
    diff = _run(workspace, "diff", "greet", history[0][:7], "latest")
    assert diff.exit_code == 0
    assert '-    default: "v1"' in diff.output and '+    default: "v3"' in diff.output


def test_render_with_vars_and_json_vars(workspace, history: list[str]) -> None:
    out = _run(workspace, "render", "greet@latest", "--var", "question={{ 7*7 }}")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["messages"][1] == {"role": "user", "content": "{{ 7*7 }} / v3"}
    assert (data["commit"], data["label"], data["parameters"]) == (workspace.head(), "latest", {"temperature": 0.5})
    bad = _run(workspace, "render", "greet@latest", "--var-json", "question=[1]")
    assert bad.exit_code == 1 and "must be of type string" in bad.output
    missing = _run(workspace, "render", "greet@nolabel")
    assert missing.exit_code == 1 and "no label 'nolabel'" in missing.output


def test_promote_then_rollback_walks_back(workspace, history: list[str]) -> None:
    for sha in history:
        out = _run(workspace, "promote", "greet", sha[:7], "--label", "production")
        assert out.exit_code == 0, out.output
        assert f"prompts: promote greet to production at {sha[:7]}" in out.output
        assert workspace.git("log", "-1", "--format=%s") == f"prompts: promote greet to production at {sha[:7]}"
        assert _labels(workspace) == {"greet": {"production": sha}}
    same = _run(workspace, "promote", "greet", history[2], "--label", "production")
    assert same.exit_code == 0 and "already points at" in same.output
    first = _run(workspace, "rollback", "greet", "--label", "production")
    assert first.exit_code == 0, first.output
    assert _labels(workspace)["greet"]["production"] == history[1]
    second = _run(workspace, "rollback", "greet", "--label", "production")
    assert second.exit_code == 0, second.output
    assert _labels(workspace)["greet"]["production"] == history[0]
    third = _run(workspace, "rollback", "greet", "--label", "production")
    assert third.exit_code == 1 and "no previous value" in third.output
    again = _run(workspace, "promote", "greet", "latest", "--label", "production")
    assert again.exit_code == 0 and _labels(workspace)["greet"]["production"] == workspace.git("rev-parse", "HEAD~1")
    assert "production" in _run(workspace, "list").output


def test_promote_refuses_dirty_labels_bad_label_and_unknown_ref(workspace, history: list[str]) -> None:
    assert _run(workspace, "promote", "greet", "latest", "--label", "latest").exit_code == 1
    assert "no commit" in _run(workspace, "promote", "greet", "0000000", "--label", "prod").output
    assert _run(workspace, "promote", "greet", "latest", "--label", "prod").exit_code == 0
    (workspace.prompts / "labels.yaml").write_text("{}\n")
    dirty = _run(workspace, "promote", "greet", history[0], "--label", "prod")
    assert dirty.exit_code == 1 and "uncommitted changes" in dirty.output


class _DenyGate:
    name = "deny-test"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, str, str]] = []

    def check(self, prompt: ResolvedPrompt, from_ref: str | None, to_commit: str, label: str) -> GateResult:
        self.calls.append((prompt.name, from_ref, to_commit, label))
        return GateResult(False, ("eval score 0.41 < 0.80",))


def test_gates_block_promotion_unless_skipped(workspace, history: list[str]) -> None:
    gate = _DenyGate()
    register_gate(gate)
    try:
        refused = _run(workspace, "promote", "greet", history[0], "--label", "production")
        assert refused.exit_code == 1 and "deny-test: eval score 0.41 < 0.80" in refused.output
        assert gate.calls == [("greet", None, history[0], "production")]
        assert not (workspace.prompts / "labels.yaml").exists()
        unknown = _run(workspace, "promote", "greet", history[0], "--label", "production", "--gate", "nope")
        assert unknown.exit_code == 1 and "unknown promotion gate" in unknown.output
        skipped = _run(workspace, "promote", "greet", history[0], "--label", "production", "--skip-gates")
        assert skipped.exit_code == 0 and len(gate.calls) == 1
    finally:
        unregister_gate(gate.name)


def test_lint_exit_codes_and_env_var(workspace, prompt_text, tmp_path: Path) -> None:
    workspace.commit({"greet.md": prompt_text.simple()})
    ok = CliRunner().invoke(prompts_group, ["lint"], env={"WARDEN_PROMPTS_DIR": str(workspace.prompts)})
    assert ok.exit_code == 0 and "0 error(s), 0 warning(s)" in ok.output
    broken = tmp_path / "broken.md"
    broken.write_text(prompt_text.simple("broken").replace("{{ question }}", "{{ questoin }}"))
    bad = CliRunner().invoke(prompts_group, ["lint", str(broken)])
    assert bad.exit_code == 1
    assert "broken.md:22: error: variable 'questoin' is used in '## user' but not declared" in bad.output
    assert "broken.md:11: warning: variable 'question' is declared but never used" in bad.output


def test_not_a_repository_is_a_clean_error(tmp_path: Path) -> None:
    out = CliRunner().invoke(prompts_group, ["--prompts-dir", str(tmp_path), "list"])
    assert out.exit_code == 1 and "Error:" in out.output and "Traceback" not in out.output
