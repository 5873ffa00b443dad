"""PromptStore on real Git repositories: latest, labels, SHAs, history, remote clones and hot reload."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.prompts import PromptFormatError, PromptNotFound, PromptRef, PromptStore, RemoteConfig
from gateway.prompts.remote import check_remote_url


async def _started(path: Path, **kwargs: object) -> PromptStore:
    store = PromptStore(path, poll_interval_s=0, **kwargs)  # type: ignore[arg-type]
    await store.start()
    return store


async def _until(condition: Callable[[], bool]) -> None:
    """Wait, bounded at 2 s, for a watcher to reach a state."""
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.01)


async def _user_text(store: PromptStore, ref: PromptRef) -> tuple[str, str]:
    resolved = await store.resolve(ref)
    rendered = store.render(resolved, {"question": "Q"})
    return rendered.messages[1].content, rendered.commit_sha


async def test_latest_and_versions_after_later_commits(workspace, prompt_text) -> None:
    c1 = workspace.commit({"team-a/greet.md": prompt_text.simple(marker="v1")})
    store = await _started(workspace.prompts, default_label="latest")
    assert await _user_text(store, PromptRef("greet", label="latest")) == ("Q / v1", c1)
    assert await _user_text(store, PromptRef("greet")) == ("Q / v1", c1)  # default label
    c2 = workspace.commit({"team-a/greet.md": prompt_text.simple(marker="v2")})
    assert await _user_text(store, PromptRef("greet", label="latest")) == ("Q / v1", c1)  # not refreshed yet
    assert await store.refresh() is True
    assert await store.refresh() is False
    assert await _user_text(store, PromptRef("greet", label="latest")) == ("Q / v2", c2)
    workspace.commit({"team-a/greet.md": prompt_text.simple(marker="v3")})
    await store.refresh()
    for version in (c1, c1[:7], c1[:12]):
        assert await _user_text(store, PromptRef("greet", version=version)) == ("Q / v1", c1)
    resolved = await store.resolve(PromptRef("greet", version=c2[:7]))
    assert (resolved.commit_sha, resolved.label, resolved.path) == (c2, None, "prompts/team-a/greet.md")


async def test_unknown_prompt_label_and_version_are_not_found(workspace, prompt_text) -> None:
    c1 = workspace.commit({"greet.md": prompt_text.simple()})
    workspace.git("checkout", "--quiet", "-b", "side")
    side = workspace.commit({"greet.md": prompt_text.simple(marker="side")})
    workspace.git("checkout", "--quiet", "main")
    workspace.commit({"greet.md": "", "other.md": prompt_text.simple("other")}, "empty greet")
    store = await _started(workspace.prompts)
    cases = [
        (PromptRef("nope", label="latest"), "does not exist"),
        (PromptRef("greet", label="latest"), "does not exist"),  # invalid at HEAD: left out
        (PromptRef("other", label="production"), "no label 'production'"),
        (PromptRef("other"), "no label 'production'"),
        (PromptRef("greet", version="0" * 40), "no commit"),
        (PromptRef("greet", version=side[:8]), "no commit"),  # exists, but not in HEAD's history
        (PromptRef("other", version=c1), "does not exist at commit"),
    ]
    for ref, fragment in cases:
        with pytest.raises(PromptNotFound, match=fragment):
            await store.resolve(ref)
    assert store.snapshot.head.errors and "greet.md:1" in store.snapshot.head.errors[0]


async def test_labels_resolve_and_move(workspace, prompt_text) -> None:
    c1 = workspace.commit({"greet.md": prompt_text.simple(marker="v1")})
    c2 = workspace.commit({"greet.md": prompt_text.simple(marker="v2")})
    workspace.commit({"labels.yaml": f"greet:\n  production: {c1[:7]}\n  staging: {c2}\n"}, "labels")
    store = await _started(workspace.prompts)
    assert await _user_text(store, PromptRef("greet")) == ("Q / v1", c1)
    assert await _user_text(store, PromptRef("greet", label="staging")) == ("Q / v2", c2)
    resolved = await store.resolve(PromptRef("greet", label="staging"))
    assert resolved.label == "staging"
    workspace.commit({"labels.yaml": f"greet:\n  production: {c2}\n"}, "promote")
    await store.refresh()
    assert await _user_text(store, PromptRef("greet", label="production")) == ("Q / v2", c2)
    with pytest.raises(PromptNotFound, match="no label 'staging'"):
        await store.resolve(PromptRef("greet", label="staging"))


async def test_invalid_labels_file_keeps_the_last_snapshot(workspace, prompt_text) -> None:
    c1 = workspace.commit({"greet.md": prompt_text.simple(), "labels.yaml": "{}\n"})
    store = await _started(workspace.prompts)
    workspace.commit({"labels.yaml": "greet:\n  production: not-a-sha\n"})
    with pytest.raises(PromptFormatError, match="not a commit SHA"):
        await store.refresh()
    assert store.head_commit == c1


async def test_hot_reload_never_mixes_versions(workspace, prompt_text) -> None:
    commits = {workspace.commit({"greet.md": prompt_text.simple(marker="v0")}): "v0"}
    store = PromptStore(workspace.prompts, poll_interval_s=0.005, default_label="latest")
    await store.start()
    stop = asyncio.Event()
    samples: list[tuple[str, str, str]] = []

    async def render_forever() -> int:
        count = 0
        while not stop.is_set():
            resolved = await store.resolve(PromptRef("greet"))
            out = store.render(resolved, {"question": "Q"})
            samples.append((out.commit_sha, out.messages[0].content, out.messages[1].content))
            count += 1
            await asyncio.sleep(0.001)  # leave the GIL to the git threads of the watcher and the committer
        return count

    async def commit_versions() -> None:
        sha = ""
        for n in range(1, 8):
            text = prompt_text.simple(marker=f"v{n}")
            sha = await asyncio.to_thread(workspace.commit, {"greet.md": text}, f"v{n}")
            commits[sha] = f"v{n}"
            await asyncio.sleep(0.03)
        # Wait (bounded) for the watcher to reach the last commit, however slow the machine, then sample it.
        for _ in range(1000):
            if store.head_commit == sha:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        stop.set()

    renders = [asyncio.create_task(render_forever()) for _ in range(4)]
    await commit_versions()
    counts = await asyncio.gather(*renders)
    await store.stop()
    assert min(counts) > 10
    # The commit map is complete only now: a watcher may see a commit before `commit_versions` records it.
    for sha, system, user in samples:
        marker = commits[sha]
        assert (system, user) == (f"System {marker}. {marker}", f"Q / {marker}")
    seen = {commits[sha] for sha, _, _ in samples}
    assert "v7" in seen and len(seen) >= 3  # the watcher swapped several times under load


async def test_remote_clone_and_pull(tmp_path: Path, workspace, prompt_text) -> None:
    c1 = workspace.commit({"greet.md": prompt_text.simple(marker="r1")})
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(workspace.root), str(bare)], check=True)
    workspace.git("remote", "add", "origin", str(bare))
    config = RemoteConfig(url=bare.as_uri(), branch="main", subdir="prompts", cache_dir=tmp_path / "cache")
    store = PromptStore(config, poll_interval_s=0, default_label="latest")
    await store.start()
    assert await _user_text(store, PromptRef("greet")) == ("Q / r1", c1)
    c2 = workspace.commit({"greet.md": prompt_text.simple(marker="r2")})
    workspace.git("push", "--quiet", "origin", "main")
    assert await store.refresh() is True
    assert await _user_text(store, PromptRef("greet")) == ("Q / r2", c2)
    assert await _user_text(store, PromptRef("greet", version=c1[:7])) == ("Q / r1", c1)
    workspace.git("commit", "--quiet", "--amend", "-m", "rewritten")  # a force-push replaces c2
    workspace.git("push", "--quiet", "--force", "origin", "main")
    await store.refresh()
    assert store.head_commit == workspace.head()


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://git.example.com/prompts.git", True),
        ("ssh://git@git.example.com/prompts.git", True),
        ("git@github.com:acme/prompts.git", True),
        ("file:///srv/prompts.git", True),
        ("http://git.example.com/prompts.git", False),
        ("git://git.example.com/prompts.git", False),
        ("ext::sh -c touch% /tmp/pwned", False),
        ("--upload-pack=touch /tmp/x", False),
        ("/srv/prompts.git", False),
        ("https://example.com/a b", False),
    ],
)
def test_remote_url_policy(url: str, ok: bool) -> None:
    if ok:
        assert check_remote_url(url) == url
    else:
        with pytest.raises(ValueError, match="not an https"):
            check_remote_url(url)


async def test_watch_survives_a_bad_commit(workspace, prompt_text) -> None:
    workspace.commit({"greet.md": prompt_text.simple(), "labels.yaml": "{}\n"})
    store = PromptStore(workspace.prompts, poll_interval_s=0.01, default_label="latest")
    await store.start()
    bad = workspace.commit({"labels.yaml": "[not, a, mapping]\n"})
    await asyncio.sleep(0.1)
    assert store.head_commit != bad
    good = workspace.commit({"labels.yaml": "{}\n", "greet.md": prompt_text.simple(marker="fixed")})
    await _until(lambda: store.head_commit == good)
    await store.stop()
    assert await _user_text(store, PromptRef("greet")) == ("Q / fixed", good)


async def test_freshness_records_failed_and_successful_refreshes(workspace, prompt_text) -> None:
    """What /metrics reports as `warden_snapshot_*{source="prompts"}`: a refresh that fails keeps the last
    snapshot and counts a failure without moving the last success; the next good refresh moves it."""
    workspace.commit({"greet.md": prompt_text.simple(), "labels.yaml": "{}\n"})
    store = PromptStore(workspace.prompts, poll_interval_s=0.01, default_label="latest")
    await store.start()
    first = store.freshness.refreshed_at
    assert first is not None and store.freshness.failures == 0
    workspace.commit({"labels.yaml": "[not, a, mapping]\n"})
    await _until(lambda: store.freshness.failures >= 2)
    stuck = store.freshness.refreshed_at
    assert store.freshness.failures >= 2 and stuck is not None
    await asyncio.sleep(0.05)
    assert store.freshness.refreshed_at == stuck  # failing refreshes never count as fresh
    good = workspace.commit({"labels.yaml": "{}\n", "greet.md": prompt_text.simple(marker="fixed")})
    await _until(lambda: store.head_commit == good)
    await store.stop()
    assert store.head_commit == good and (store.freshness.refreshed_at or 0) > stuck
