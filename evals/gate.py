"""The eval promotion gate (`warden.promotion_gates` entry point `eval`): before a label moves, the suites the
config's `eval.gates` names for that label must pass for the prompt version being promoted.

`prompt` names the prompt's own suite (`<name>.eval.yaml` beside it in the prompts folder); other names are
built-in suites. By default the suites run on replay from their committed cassettes (offline, as CI does), and
every answer must have been recorded against the commit being promoted. A label with no policy passes.
"""

from __future__ import annotations

import os
from pathlib import Path

from gateway.prompts.gates import GateResult
from gateway.prompts.model import ResolvedPrompt

PROMPT_SUITE = "prompt"


class EvalGate:
    """Runs the label's suites; refuses with the failing cases and thresholds."""

    name = "eval"

    def __init__(self, config_path: str | None = None, prompts_dir: str | None = None) -> None:
        self._config_path = config_path
        self._prompts_dir = prompts_dir

    def check(self, prompt: ResolvedPrompt, from_ref: str | None, to_commit: str, label: str) -> GateResult:
        from gateway.config import load_config

        config = load_config(self._config_path or os.environ.get("WARDEN_CONFIG", "config/gateway.yaml")).eval
        required = config.gates.get(label)
        if not required:
            return GateResult(True, (f"no eval suites required for label {label!r}",))
        suites: list[str | Path] = []
        for name in required:
            if name == PROMPT_SUITE:
                suite = self._prompt_suite(prompt)
                if suite is None:
                    return GateResult(False, (f"label {label!r} needs the suite of {prompt.name!r}, and there is "
                                              f"no {prompt.name}.eval.yaml beside the prompt",))
                suites.append(suite)
            else:
                suites.append(name)
        return self._run(prompt, suites, config.gate_mode, config.judge_model)

    def _prompt_suite(self, prompt: ResolvedPrompt) -> Path | None:
        root = Path(self._prompts_dir or os.environ.get("WARDEN_PROMPTS_DIR", "prompts"))
        # The suite and cassette are read from the working tree (HEAD), where the cassette recorded for the
        # promoted commit lives: it can only be committed after that commit.
        candidates = [root / Path(prompt.path).parent / f"{prompt.name}.eval.yaml",
                      *sorted(root.rglob(f"{prompt.name}.eval.yaml"))]
        return next((c for c in candidates if c.exists()), None)

    def _run(self, prompt: ResolvedPrompt, suites: list[str | Path], mode: str, judge: str | None) -> GateResult:
        from evals.loader import SuiteError
        from evals.runner import RunOptions
        from evals.session import SessionOptions, run_suites

        options = SessionOptions(
            mode="replay" if mode == "replay" else "live", database_url=os.environ.get("DATABASE_URL"),
            run=RunOptions(prompt_ref=f"{prompt.name}@{prompt.commit_sha}", judge_model=judge,
                           expect_commit=prompt.commit_sha),
        )
        try:
            results = run_suites(suites, options)
        except (SuiteError, ValueError, FileNotFoundError, RuntimeError) as exc:
            return GateResult(False, (f"the suites could not run: {exc}",))
        reasons = []
        for result in results:
            for case in result.cases:
                if not case.passed:
                    reasons.append(f"{result.name}/{case.case.id}: {'; '.join(case.failures)}")
            reasons += [f"{result.name}: {t}" for t in result.threshold_failures]
        return GateResult(not reasons, tuple(reasons))
