"""`PromptStore`: the gateway's view of the prompt repository.

Resolution on the request path reads no Git: the store keeps a `Snapshot` (the HEAD index with its labels, plus
the index of every commit a label points at) and replaces it as a whole, in one reference assignment, when the
poll loop sees HEAD move (labels live in the repository, so a label change moves HEAD too). A request reads the
snapshot reference once and works on that object, so it never sees half of an update. Reading an older version by
SHA loads that commit from Git once (in a worker thread) and caches it; only commits in HEAD's history are served.

Typical use in the gateway::

    ref = parse_model_ref(body.model)           # or parse_prompt_body(extra_body["prompt"])
    resolved = await store.resolve(ref)          # PromptNotFound -> 404
    rendered = store.render(resolved, variables) # PromptVariableError -> 400
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from gateway.prompts.errors import PromptError, PromptNotFound
from gateway.prompts.git import GitRepo
from gateway.prompts.index import IndexLoader, PromptIndex
from gateway.prompts.model import RenderedPrompt, ResolvedPrompt
from gateway.prompts.refs import LATEST, PromptRef
from gateway.prompts.remote import RemoteConfig, RemoteSync
from gateway.prompts.render import render_prompt
from gateway.snapshot_metrics import Freshness

log = logging.getLogger(__name__)
_EMPTY: Mapping[str, object] = {}


class PromptStoreConfig(BaseModel):
    """Store settings: a local `path` or a `remote`, the poll interval (0 disables polling), the default label."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path | None = None
    remote: RemoteConfig | None = None
    poll_interval_s: Annotated[float, Field(ge=0)] = 5.0
    default_label: str = "production"
    version_cache_size: Annotated[int, Field(gt=0)] = 256


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything label and `latest` resolution needs, swapped atomically."""

    head: PromptIndex
    commits: Mapping[str, PromptIndex]


class PromptStore:
    """Resolves `PromptRef`s to compiled prompt versions and renders them; see the module docstring."""

    def __init__(
        self,
        source: Path | str | RemoteConfig,
        *,
        poll_interval_s: float = 5.0,
        default_label: str = "production",
        version_cache_size: int = 256,
    ) -> None:
        self._remote = RemoteSync(source) if isinstance(source, RemoteConfig) else None
        self._path = None if isinstance(source, RemoteConfig) else Path(source)
        self.poll_interval_s = poll_interval_s
        self.default_label = default_label
        self._cache_size = version_cache_size
        self._loader: IndexLoader | None = None
        self._snapshot: Snapshot | None = None
        self._versions: OrderedDict[str, PromptIndex | None] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self.freshness = Freshness()

    @classmethod
    def from_config(cls, config: PromptStoreConfig) -> PromptStore:
        source = config.remote or config.path
        if source is None:
            raise ValueError("prompt store config needs a `path` or a `remote`")
        return cls(
            source,
            poll_interval_s=config.poll_interval_s,
            default_label=config.default_label,
            version_cache_size=config.version_cache_size,
        )

    async def start(self) -> None:
        """Load the first snapshot (errors propagate), then poll for changes every `poll_interval_s`."""
        await self.refresh()
        if self.poll_interval_s > 0 and self._task is None:
            self._task = asyncio.create_task(self.watch(self.poll_interval_s), name="prompt-store-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def watch(self, interval: float) -> None:
        """Refresh every `interval` seconds until cancelled; a failed refresh keeps serving the last snapshot."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.refresh()
            except Exception as exc:  # the poll loop must survive anything a refresh raises
                self.freshness.failed()
                log.error("prompt store refresh failed, keeping commit %s: %s", self.head_commit, exc)

    async def refresh(self) -> bool:
        """Rebuild the snapshot if HEAD moved; returns whether it was replaced."""
        new = await asyncio.to_thread(self._build_snapshot, self._snapshot)
        self.freshness.succeeded()
        if new is None:
            return False
        self._snapshot = new  # the atomic swap: one reference assignment
        for key in [k for k, v in self._versions.items() if v is None]:
            del self._versions[key]  # a SHA unknown before may exist now
        for error in new.head.errors:
            log.warning("prompt left out at %s: %s", new.head.commit[:7], error)
        return True

    @property
    def head_commit(self) -> str | None:
        return self._snapshot.head.commit if self._snapshot else None

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            raise PromptError("the prompt store is not started")
        return self._snapshot

    async def resolve(self, ref: PromptRef) -> ResolvedPrompt:
        """The prompt version `ref` names; raises `PromptNotFound` for an unknown prompt, label or version."""
        snap = self.snapshot
        if ref.version is None:
            label = ref.label or self.default_label
            if label == LATEST:
                return _pick(snap.head, ref.name, LATEST)
            sha = snap.head.labels.get(ref.name, {}).get(label)
            if sha is None:
                raise PromptNotFound(f"prompt {ref.name!r} has no label {label!r}")
            return _pick(snap.commits[sha], ref.name, label)
        index = self._versions.get(ref.version, False)
        if index is not False:
            self._versions.move_to_end(ref.version)
        else:
            index = await asyncio.to_thread(self._load_version, ref.version, snap)
            self._versions[ref.version] = index
            while len(self._versions) > self._cache_size:
                self._versions.popitem(last=False)
        if index is None:
            raise PromptNotFound(f"prompt {ref.name!r}: no commit {ref.version!r} in the history of the prompt store")
        return _pick(index, ref.name, None)

    def render(
        self, resolved: ResolvedPrompt, variables: Mapping[str, object], gateway_vars: Mapping[str, object] = _EMPTY
    ) -> RenderedPrompt:
        """See `render.render_prompt`."""
        return render_prompt(resolved, variables, gateway_vars)

    def _build_snapshot(self, current: Snapshot | None) -> Snapshot | None:
        prompts_dir = self._remote.sync() if self._remote else self._path
        assert prompts_dir is not None
        if self._loader is None:
            self._loader = IndexLoader(GitRepo.open(prompts_dir))
        head = self._loader.repo.head()
        if current is not None and current.head.commit == head:
            return None
        head_index = self._loader.load(head, with_labels=True)
        commits = {head: head_index}
        old = current.commits if current else {}
        for sha in {sha for labels in head_index.labels.values() for sha in labels.values()}:
            if sha not in commits:
                commits[sha] = old.get(sha) or self._loader.load(sha)
        return Snapshot(head_index, commits)

    def _load_version(self, version: str, snap: Snapshot) -> PromptIndex | None:
        assert self._loader is not None
        repo = self._loader.repo
        # Under the loader's lock: unknown SHAs sent in a burst cost one git process at a time, not one each.
        with self._loader.lock:
            full = repo.resolve_commit(version)
            if full is None or not repo.is_ancestor(full, snap.head.commit):
                return None
            return snap.commits.get(full) or self._loader.load(full)


def _pick(index: PromptIndex, name: str, label: str | None) -> ResolvedPrompt:
    found = index.prompts.get(name)
    if found is None:
        raise PromptNotFound(f"prompt {name!r} does not exist at commit {index.commit[:7]}")
    return found if found.label == label else dataclasses.replace(found, label=label)
