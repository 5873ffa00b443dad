"""A remote prompt repository: cloned once into a cache directory, then fetched and hard-reset on an interval.

The URL comes only from configuration, never from a request, and only `https://`, `ssh://`, scp-style
`user@host:path` and `file://` URLs are accepted (git is also told to refuse any other transport).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.prompts.errors import GitError
from gateway.prompts.git import run_git

_SCP_RE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._/~-]+$")
_BRANCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$")


def check_remote_url(url: str) -> str:
    """Return `url` if it is an allowed remote URL, else raise `ValueError` quoting it."""
    if url.startswith(("https://", "ssh://", "file://")) and not any(c.isspace() for c in url):
        return url
    if _SCP_RE.match(url):
        return url
    raise ValueError(f"remote URL {url!r} is not an https://, ssh://, user@host:path or file:// URL")


class RemoteConfig(BaseModel):
    """Where to clone the prompts from: `url` + `branch`, the prompts folder `subdir` inside it, the local cache."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    branch: Annotated[str, Field(pattern=_BRANCH_RE.pattern)] = "main"
    subdir: str = "prompts"
    cache_dir: Path = Path("var/prompt-store")

    @field_validator("url")
    @classmethod
    def _allowed_url(cls, value: str) -> str:
        return check_remote_url(value)

    @field_validator("subdir")
    @classmethod
    def _relative_subdir(cls, value: str) -> str:
        parts = Path(value).parts
        if Path(value).is_absolute() or ".." in parts:
            raise ValueError(f"subdir {value!r} must be a relative path inside the repository")
        return value


class RemoteSync:
    """Keeps a local clone of `config.url`@`config.branch` identical to the remote branch."""

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config
        self.clone_dir = config.cache_dir.resolve()

    @property
    def prompts_dir(self) -> Path:
        return self.clone_dir / self.config.subdir

    def sync(self) -> Path:
        """Clone on first call, then fetch + hard reset to the remote branch; returns the prompts folder."""
        cfg = self.config
        if not (self.clone_dir / ".git").is_dir():
            self.clone_dir.parent.mkdir(parents=True, exist_ok=True)
            run_git(
                [
                    "clone",
                    "--quiet",
                    "--no-tags",
                    "--single-branch",
                    "--branch",
                    cfg.branch,
                    "--",
                    cfg.url,
                    str(self.clone_dir),
                ],
                self.clone_dir.parent,
            )
        else:
            tracking = f"refs/remotes/origin/{cfg.branch}"
            # The branch matched _BRANCH_RE (no leading '-'), so it cannot be read as an option.
            run_git(["fetch", "--quiet", "--no-tags", "origin", f"+refs/heads/{cfg.branch}:{tracking}"], self.clone_dir)
            run_git(["reset", "--quiet", "--hard", tracking], self.clone_dir)
        if not self.prompts_dir.is_dir():
            raise GitError(f"the remote {cfg.url!r} has no folder {cfg.subdir!r} on branch {cfg.branch!r}")
        return self.prompts_dir
