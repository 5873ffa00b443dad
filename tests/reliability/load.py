"""Steady request load from a few threads while a test breaks something, with each call's outcome."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import openai


@dataclass
class Outcome:
    status: int | str
    """HTTP status, or the name of the exception when no answer came (a timeout is a hung call)."""
    seconds: float
    request_id: str | None = None
    code: str | None = None


@dataclass
class Load:
    """`threads` workers call `call` back to back until `stop()`."""

    call: Callable[[int], Outcome]
    threads: int = 4
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._workers = [threading.Thread(target=self._work, args=(i,), daemon=True) for i in range(self.threads)]

    def start(self) -> Load:
        for worker in self._workers:
            worker.start()
        return self

    def stop(self, join_s: float = 60) -> list[Outcome]:
        self._stop.set()
        for worker in self._workers:
            worker.join(join_s)
        assert not any(w.is_alive() for w in self._workers), "a call never returned"
        return self.outcomes

    def statuses(self) -> Counter[int | str]:
        return Counter(o.status for o in self.outcomes)

    def _work(self, worker: int) -> None:
        while not self._stop.is_set():
            self.outcomes.append(self.call(worker))


def wait_for(check: Callable[[], bool], what: str, deadline_s: float = 60) -> None:
    """Completion within the test's deadline (not a latency assertion)."""
    end = time.monotonic() + deadline_s
    while not check():
        assert time.monotonic() < end, f"never happened: {what}"
        time.sleep(0.05)


def chat_call(client: openai.OpenAI, model: str = "chat-a") -> Callable[[int], Outcome]:
    """One small chat completion through the openai SDK; failures become outcomes, not exceptions."""
    def call(worker: int) -> Outcome:
        started = time.monotonic()
        try:
            raw = client.chat.completions.with_raw_response.create(
                model=model, messages=[{"role": "user", "content": f"load from worker {worker}"}])
            return Outcome(raw.http_response.status_code, time.monotonic() - started, raw.headers["x-request-id"])
        except openai.APIStatusError as exc:
            body = exc.body if isinstance(exc.body, dict) else {}
            return Outcome(exc.status_code, time.monotonic() - started, exc.response.headers.get("x-request-id"),
                           body.get("code"))
        except (openai.APIConnectionError, httpx.HTTPError) as exc:
            return Outcome(type(exc).__name__, time.monotonic() - started)
    return call
