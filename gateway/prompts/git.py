"""A thin, synchronous wrapper over the `git` CLI (argument lists only, never a shell).

The prompts directory may be a subfolder of the repository: `GitRepo.open` finds the top level and the
directory's prefix inside it, and every tree path is given relative to the top level.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gateway.prompts.errors import GitError

GIT_TIMEOUT_S = 120.0
# Only these transports may ever be used, also by submodules or redirects (see git's GIT_ALLOW_PROTOCOL).
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ALLOW_PROTOCOL": "https:ssh:file", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}


def run_git(args: Sequence[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    """Run `git ARGS` in `cwd`; return stdout or raise `GitError` quoting the command and stderr."""
    env = {**os.environ, **_ENV}
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, env=env, timeout=GIT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {' '.join(args[:3])} failed: {exc}") from None
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip()
        raise GitError(f"git {' '.join(args[:4])} failed ({done.returncode}): {stderr}")
    return done.stdout


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """A file of a commit's tree: its repository-relative path and blob id."""

    path: str
    blob: str


@dataclass(frozen=True, slots=True)
class GitRepo:
    """The repository holding the prompts, and `prefix`, the prompts folder inside it ('' or ending in '/')."""

    root: Path
    prefix: str

    @classmethod
    def open(cls, prompts_dir: Path) -> GitRepo:
        if not prompts_dir.is_dir():
            raise GitError(f"prompts directory {str(prompts_dir)!r} does not exist")
        root = run_git(["rev-parse", "--show-toplevel"], prompts_dir).decode().strip()
        prefix = run_git(["rev-parse", "--show-prefix"], prompts_dir).decode().strip()
        return cls(Path(root), prefix)

    def git(self, *args: str, stdin: bytes | None = None) -> bytes:
        return run_git(args, self.root, stdin)

    def head(self) -> str:
        return self.git("rev-parse", "--verify", "HEAD^{commit}").decode().strip()

    def resolve_commit(self, rev: str) -> str | None:
        """Full SHA of commit `rev`, or None when it does not name a commit."""
        try:
            return (
                self.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").decode().strip()
            )
        except GitError:
            return None

    def is_ancestor(self, commit: str, of: str) -> bool:
        try:
            self.git("merge-base", "--is-ancestor", commit, of)
        except GitError:
            return False
        return True

    def list_tree(self, commit: str) -> list[TreeEntry]:
        """Files under the prompts folder at `commit`."""
        out = self.git("ls-tree", "-r", "-z", "--full-tree", commit, "--", self.prefix or ".")
        entries = []
        for record in out.split(b"\0"):
            if record:
                meta, _, path = record.partition(b"\t")
                mode, kind, blob = meta.decode().split()
                if kind == "blob" and mode != "120000":  # skip symlinks: they could point outside the folder
                    entries.append(TreeEntry(path.decode(), blob))
        return entries

    def read_objects(self, names: Sequence[str]) -> list[bytes | None]:
        """Contents of many objects (`<blob>` or `<commit>:<path>`) in one `git cat-file --batch` call."""
        if not names:
            return []
        out = self.git("cat-file", "--batch", stdin="".join(f"{name}\n" for name in names).encode())
        contents: list[bytes | None] = []
        pos = 0
        for _ in names:
            end = out.index(b"\n", pos)
            header = out[pos:end].decode()
            pos = end + 1
            if header.endswith(" missing") or header.endswith(" ambiguous"):
                contents.append(None)
                continue
            size = int(header.rsplit(" ", 1)[1])
            contents.append(out[pos : pos + size])
            pos += size + 1
        return contents

    def read_file(self, commit: str, path: str) -> bytes | None:
        return self.read_objects([f"{commit}:{path}"])[0]

    def log(self, path: str, *extra: str) -> list[tuple[str, str, str, str]]:
        """Commits touching `path`, newest first, as (sha, iso date, author, subject)."""
        out = self.git("log", "--format=%H%x1f%cI%x1f%an%x1f%s", *extra, "--", path).decode()
        return [tuple(line.split("\x1f", 3)) for line in out.splitlines() if line]  # type: ignore[misc]

    def commit_paths(self, paths: Sequence[str], message: str) -> str:
        """Commit exactly `paths` (other staged changes stay staged) and return the new HEAD."""
        self.git("add", "--", *paths)
        self.git("commit", "--quiet", "-m", message, "--only", "--", *paths)
        return self.head()


def resolve_many(repo: GitRepo, revs: Sequence[str]) -> list[str | None]:
    """Full commit SHAs of many revisions in one `git cat-file --batch-check` call (None when unknown)."""
    if not revs:
        return []
    out = repo.git("cat-file", "--batch-check", stdin="".join(f"{rev}^{{commit}}\n" for rev in revs).encode())
    found: list[str | None] = []
    for line in out.decode().splitlines():
        parts = line.split()
        found.append(parts[0] if len(parts) == 3 and parts[1] == "commit" else None)
    return found
