"""Real temporary Git repositories for the prompt-store tests (prompts live in a `prompts/` subfolder)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SIMPLE = """---
name: {name}
description: test prompt
owner: tests@example.com
team: qa
model: test-model
parameters:
  temperature: 0.5
allow_overrides: [temperature]
variables:
  question:
    type: string
  marker:
    type: string
    source: store
    default: "{marker}"
---
## system
System {marker}. {{{{ marker }}}}

## user
{{{{ question }}}} / {marker}
"""


def simple_prompt(name: str = "greet", marker: str = "v1") -> str:
    """A valid prompt whose system and user messages both carry `marker`."""
    return SIMPLE.format(name=name, marker=marker)


class GitWorkspace:
    """A repository at `root` with prompts under `root/prompts`; `commit` writes files and commits them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.prompts = root / "prompts"
        self.prompts.mkdir(parents=True)
        self.git("init", "--quiet", "-b", "main")
        self.git("config", "user.name", "Test Author")
        self.git("config", "user.email", "author@example.com")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    def commit(self, files: dict[str, str], message: str = "change prompts") -> str:
        """Write `files` (paths relative to the prompts folder) and commit; returns the new HEAD."""
        for rel, text in files.items():
            path = self.prompts / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        self.git("add", "-A")
        self.git("commit", "--quiet", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def workspace(tmp_path: Path) -> GitWorkspace:
    return GitWorkspace(tmp_path / "repo")


@pytest.fixture
def prompt_text() -> type[_PromptText]:
    return _PromptText


class _PromptText:
    """Access to `simple_prompt` for test modules (conftest modules are not imported directly)."""

    simple = staticmethod(simple_prompt)
