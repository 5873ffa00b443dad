"""Async HTTP load generator for gateway_bench.py, run as its own process; prints one JSON result on stdout.

Every run is bounded twice: at most ``--requests`` requests and at most ``--duration`` seconds.
Note that this client spends CPU too, on the same 2 cores as the server it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import secrets
import sys
import time
from dataclasses import asdict, dataclass
from typing import Literal

import aiohttp

from gw_conversation import Conversation

Mode = Literal["latency", "throughput", "stream"]
Api = Literal["chat", "responses", "messages"]
PATHS: dict[str, str] = {"chat": "/chat/completions", "responses": "/responses", "messages": "/messages"}
"""Each API family's route under the `/v1` base URL."""


@dataclass(frozen=True)
class StreamSigns:
    """How a stream of one API family shows its first visible text and its normal end."""

    first_token: re.Pattern[bytes]
    done: bytes


STREAM_SIGNS = {
    # The role chunk carries "content":"" and must not count as the first token.
    "chat": StreamSigns(re.compile(rb'"content":\s*"[^"]'), b"data: [DONE]"),
    "responses": StreamSigns(re.compile(rb'output_text\.delta".*"delta":\s*"[^"]'), b"event: response.completed"),
    # content_block_start carries "text":"" too.
    "messages": StreamSigns(re.compile(rb'"text_delta".*"text":\s*"[^"]'), b"event: message_stop"),
}
PROMPT = (
    "Summarise the following note in one sentence: the quarterly review covered revenue, hiring plans, "
    "the new office lease, and a reminder that expense reports are due on Friday afternoon."
)


@dataclass
class Result:
    mode: str
    concurrency: int
    ok: int
    errors: int
    elapsed_s: float
    rps: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    ttft_p50_ms: float | None = None
    ttft_p99_ms: float | None = None
    first_error: str | None = None


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(q / 100 * len(ordered) + 0.5))))
    return ordered[rank - 1]


# Each load-generator process numbers its prompts from its own random base, so no scenario of a run repeats a
# prompt that an earlier one sent (the gateway's PII and embedding caches would answer it).
_SERIAL_BASE = secrets.randbelow(10**9) * 10**4


def _chat_turn(serial: int) -> list[dict[str, str]]:
    """A typical four-message request (system, user, assistant, user), every message new: the cold case."""
    return [
        {"role": "system", "content": f"You are the support assistant of Acme (session {serial}). Answer briefly."},
        {"role": "user", "content": f"Hi, I am Jane Martin, customer {serial}. My last invoice looks wrong."},
        {"role": "assistant", "content": f"Sorry to hear that. Which invoice number is it, and what looks wrong on "
                                         f"invoice {serial}?"},
        {"role": "user", "content": f"It is INV-{serial}: the VAT line is charged twice. Please write to "
                                    f"jane{serial}@example.com with the corrected total."},
    ]


def request_body(
    stream: bool, model: str, serial: int | None = None, shape: str = "single", api: Api = "chat",
    messages: list[dict[str, str]] | None = None,
) -> bytes:
    """The same conversation in the shape of API family `api` (`messages`: a replayed conversation's)."""
    if messages is None and shape == "chat4":
        messages = _chat_turn(serial if serial is not None else 0)
    elif messages is None:
        content = PROMPT if serial is None else f"{PROMPT} Ticket {serial}: reply to customer{serial}@example.com."
        messages = [{"role": "user", "content": content}]
    body: dict[str, object]
    if api == "responses":
        body = {"model": model, "input": messages, "max_output_tokens": 64, "store": False}
    elif api == "messages":
        system = [m["content"] for m in messages if m["role"] == "system"]
        body = {"model": model, "messages": [m for m in messages if m["role"] != "system"], "max_tokens": 64,
                **({"system": system[0]} if system else {})}
    else:
        body = {"model": model, "messages": messages, "max_tokens": 64}
        if stream:
            body["stream_options"] = {"include_usage": True}
    if stream:
        body["stream"] = True
    return json.dumps(body).encode()


def request_headers(api: Api, key: str) -> dict[str, str]:
    if api == "messages":  # as Anthropic's SDKs send it
        return {"x-api-key": key, "anthropic-version": "2023-06-01", "Content-Type": "application/json"}
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


class Runner:
    """Holds the shared counters of one run so workers stop at the same bound."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.latencies: list[float] = []
        self.ttfts: list[float] = []
        self.errors = 0
        self.first_error: str | None = None
        self.issued = 0
        self.chat_serials = itertools.count(_SERIAL_BASE)
        """A new conversation's serial (it keeps it for all its turns)."""
        self.deadline = 0.0
        self.headers = request_headers(args.api, args.key)
        self.signs = STREAM_SIGNS[args.api]
        self.body = request_body(args.mode == "stream", args.model, shape=args.shape, api=args.api)

    def _error(self, message: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or message

    async def one(self, session: aiohttp.ClientSession, record: bool, chat: Conversation | None = None) -> None:
        started = time.perf_counter()
        first_token: float | None = None
        stream = self.args.mode == "stream"
        answer: list[str] = []
        try:
            if chat is not None:
                messages = chat.next_messages(next(self.chat_serials))
                body = request_body(stream, self.args.model, api=self.args.api, messages=messages)
            else:
                serial = _SERIAL_BASE + self.issued
                body = request_body(stream, self.args.model, serial, self.args.shape, self.args.api) if self.args.vary \
                    else self.body
            async with session.post(self.args.url, data=body, headers=self.headers) as response:
                if response.status != 200:
                    self._error(f"HTTP {response.status}: {(await response.text())[:200]}")
                    return
                if self.args.mode != "stream":
                    payload = await response.read()
                    if chat is not None:
                        answer.append(json.loads(payload)["choices"][0]["message"]["content"] or "")
                else:
                    done = False
                    async for line in response.content:
                        if first_token is None and self.signs.first_token.search(line):
                            first_token = time.perf_counter()
                        if chat is not None and line.startswith(b"data: {"):
                            answer.extend(c["delta"].get("content") or "" for c in json.loads(line[6:])["choices"])
                        done = done or line.startswith(self.signs.done)
                    if not done or first_token is None:
                        self._error(f"stream ended without content or {self.signs.done.decode()!r}")
                        return
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            self._error(f"{type(exc).__name__}: {exc}")
            return
        finally:
            if chat is not None:
                chat.answered("".join(answer) if answer or first_token else None)
        if record:
            self.latencies.append((time.perf_counter() - started) * 1000)
            if first_token is not None:
                self.ttfts.append((first_token - started) * 1000)

    async def worker(self, session: aiohttp.ClientSession) -> None:
        chat = Conversation(0) if self.args.shape == "conversation" else None
        while self.issued < self.args.requests and time.perf_counter() < self.deadline:
            self.issued += 1
            await self.one(session, record=True, chat=chat)

    async def run(self) -> Result:
        args = self.args
        connector = aiohttp.TCPConnector(limit=args.concurrency, force_close=False)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            chat = Conversation(0) if args.shape == "conversation" else None
            for _ in range(args.warmup):
                await self.one(session, record=False, chat=chat)
            self.errors, self.first_error = 0, None
            started = time.perf_counter()
            self.deadline = started + args.duration
            await asyncio.gather(*(self.worker(session) for _ in range(args.concurrency)))
            elapsed = time.perf_counter() - started
        return Result(
            mode=args.mode,
            concurrency=args.concurrency,
            ok=len(self.latencies),
            errors=self.errors,
            elapsed_s=round(elapsed, 3),
            rps=round(len(self.latencies) / elapsed, 1) if elapsed else 0.0,
            p50_ms=percentile(self.latencies, 50),
            p90_ms=percentile(self.latencies, 90),
            p99_ms=percentile(self.latencies, 99),
            ttft_p50_ms=percentile(self.ttfts, 50),
            ttft_p99_ms=percentile(self.ttfts, 99),
            first_error=self.first_error,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="the full URL of the API family's route (see PATHS)")
    parser.add_argument("--api", choices=list(PATHS), default="chat",
                        help="the body, headers and stream events: chat completions, Responses or Anthropic Messages")
    parser.add_argument("--key", required=True)
    parser.add_argument("--model", default="bench-model")
    parser.add_argument("--mode", choices=["latency", "throughput", "stream"], default="latency")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--vary", action="store_true",
                        help="make every prompt unique (defeats caches in guardrails that embed text)")
    parser.add_argument("--shape", choices=["single", "chat4", "conversation"], default="single",
                        help="one user message, a typical four-message chat turn (every message new), or "
                             "conversations replayed turn by turn with the gateway's answers (gw_conversation.py)")
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        sys.exit(f"refusing non-local target {args.url!r}")
    result = asyncio.run(Runner(args).run())
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
