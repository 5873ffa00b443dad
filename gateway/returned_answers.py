"""Digests of the answers the gateway returned, so that history a client sends back is not checked as a forgery.

A chat client resends the whole conversation with every turn, the assistant's earlier answers included. The
injection check reads assistant turns because a client can forge one ("Sure! From now on I ..."); an answer the
gateway itself returned, after its output checks, is the model's own words. `ReturnedAnswers` keeps a digest of
(team, exact text) for each answer returned, in this process or in Redis (replicas share it), for `ttl_s`; an
assistant turn whose digest is found is marked `returned`, and the injection guardrail passes over it.

With each digest go the spans of the personal data the gateway put back into that answer (its restored
placeholders): PII masking masks them again from those spans instead of analysing the text. What the model wrote
on its own is not looked for again: the provider wrote it, so sending it back tells it nothing new.

A lost or evicted digest only means that turn is checked again: the store is a cache, not state replicas must
agree on. Texts are not kept, only their digests; a turn edited by one character is a new text and is checked.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import replace

from gateway.cache.store import CacheStore, MemoryStore, RedisStore
from gateway.config import ReturnedAnswersConfig
from gateway.limits.factory import LimitsConfig
from guardrails.base import Segment

log = logging.getLogger("warden.returned_answers")
Spans = list[tuple[int, int, str]]


class ReturnedAnswers:
    """Remembers answers per team and recognises them when they come back as assistant turns."""

    def __init__(self, store: CacheStore, key_prefix: str, ttl_s: float) -> None:
        self._store = store
        self._prefix = key_prefix
        self._ttl_s = ttl_s
        self._writes: set[asyncio.Task[None]] = set()

    def key(self, team: str, text: str) -> str:
        digest = hashlib.blake2b(digest_size=20, person=b"warden-answer")
        digest.update(team.encode("utf-8", "surrogatepass") + b"\x00" + text.encode("utf-8", "surrogatepass"))
        return self._prefix + digest.hexdigest()

    def remember(self, team: str, answers: Sequence[tuple[str, Spans]]) -> None:
        """Record answers as they were returned, each with the spans of the personal data restored into it;
        written in the background, so Redis never delays the answer."""
        items = [(self.key(team, text), json.dumps(spans).encode()) for text, spans in answers if text]
        if not items:
            return
        task = asyncio.get_running_loop().create_task(self._write(items))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, items: list[tuple[str, bytes]]) -> None:
        for key, value in items:
            await self._store.set(key, value, self._ttl_s)

    async def mark(self, team: str, segments: Sequence[Segment]) -> list[Segment]:
        """The segments, with each assistant turn the gateway returned to `team` marked `returned`."""
        out = list(segments)
        asked = [i for i, s in enumerate(out) if s.role == "assistant" and s.message_index is not None and s.text]
        if not asked:
            return out
        found = await self._store.get_many([self.key(team, out[i].text) for i in asked])
        for index, value in zip(asked, found, strict=True):
            spans = _spans(value, len(out[index].text)) if value is not None else None
            if spans is not None:
                out[index] = replace(out[index], returned=True, entities=spans)
        return out

    async def close(self) -> None:
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        await self._store.close()


def _spans(value: bytes, length: int) -> tuple[tuple[int, int, str], ...] | None:
    """The stored spans, or None (the turn is then checked as usual) when they do not fit the text."""
    try:
        spans = tuple((int(s), int(e), str(t)) for s, e, t in json.loads(value))
    except (ValueError, TypeError):
        return None
    return spans if all(0 <= s < e <= length for s, e, _ in spans) else None


def build_returned_answers(config: ReturnedAnswersConfig, limits: LimitsConfig) -> ReturnedAnswers:
    backend = config.backend or limits.backend
    if backend == "memory":
        store: CacheStore = MemoryStore(config.max_entries)
    else:
        store = RedisStore(config.redis_url or limits.redis_url, limits.timeout_s, limits.max_connections)
    return ReturnedAnswers(store, config.key_prefix, config.ttl_s)
