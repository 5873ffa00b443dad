"""The Docker image's prompt repository: HEAD's history of the project, with only `prompts/` checked out.

The prompt store reads versions and labels from Git, so copying the `prompts/` folder alone leaves it off. The
Dockerfile runs this module in its build stage (`python -m gateway.prompts.image_repo /src /out/app`) and copies
`/out/app` (a `.git` and `prompts/`) to `/app`. Only the branch at HEAD is fetched (no other branches, tags or
stashes), and the original commit SHAs are kept: `labels.yaml` and `prompt:NAME@<sha>` name them. Before it
returns, the store is started on the result, so a shallow source (CI clones) that lacks a labelled commit fails
the build, not the first request.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from gateway.prompts.errors import GitError
from gateway.prompts.git import run_git
from gateway.prompts.store import PromptStore

PROMPTS = "prompts"
BRANCH = "main"


def build_image_repo(source: Path, dest: Path) -> str:
    """Make `dest` a repository at `source`'s HEAD, working tree = `prompts/` only; returns the HEAD SHA."""
    if dest.exists() and any(dest.iterdir()):
        raise GitError(f"{str(dest)!r} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        shallow = run_git(["rev-parse", "--is-shallow-repository"], source).decode().strip() == "true"
    except GitError as exc:
        raise GitError(f"cannot read the history of {str(source)!r} (a clone with its .git folder is needed; "
                       f"a worktree's or submodule's .git file points outside the build context): {exc}") from None
    if shallow:
        raise GitError(f"{str(source)!r} is a shallow clone: labelled prompt versions may be missing; "
                       "fetch its full history first (`git fetch --unshallow`)")
    run_git(["init", "--quiet", f"--initial-branch={BRANCH}"], dest)
    run_git(["fetch", "--quiet", "--no-tags", "--", str(source.resolve()), "HEAD"], dest)
    run_git(["update-ref", f"refs/heads/{BRANCH}", "FETCH_HEAD"], dest)
    run_git(["sparse-checkout", "set", "--no-cone", f"/{PROMPTS}/"], dest)
    run_git(["checkout", "--quiet", BRANCH], dest)
    _check_store(dest / PROMPTS)
    return run_git(["rev-parse", "HEAD"], dest).decode().strip()


def _check_store(prompts_dir: Path) -> None:
    store = PromptStore(prompts_dir, poll_interval_s=0)
    try:
        asyncio.run(store.refresh())
    except GitError as exc:
        raise GitError(f"the prompt store cannot load {str(prompts_dir)!r}; if the source is a shallow clone, "
                       f"fetch its full history first (`git fetch --unshallow`): {exc}") from None
    labelled = {sha for labels in store.snapshot.head.labels.values() for sha in labels.values()}
    missing = sorted(labelled - set(store.snapshot.commits))
    if missing:
        raise GitError(f"labelled commits missing from the image's prompt repository: {missing}")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m gateway.prompts.image_repo SOURCE_REPO DEST", file=sys.stderr)
        return 2
    try:
        head = build_image_repo(Path(argv[0]), Path(argv[1]))
    except GitError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"prompt repository at {argv[1]}: HEAD {head}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
