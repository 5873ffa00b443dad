"""The lean client the Redis limiter runs its scripts on: the wire format (table of replies), and on real
redis-servers the database and password of the URL, a killed connection, a frozen server, a forgotten script."""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path

import pytest
import redis
import uvloop
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.limits.base import LimitExceeded, RateRule
from gateway.limits.redis_limiter import RedisLimiter
from gateway.limits.resp import RespClient, _Connection, pack, parse, supports
from tests.gateway.limits.limits_support import OwnRedis

REPLIES = [
    (b":42\r\n", 42),
    (b":-3\r\n", -3),
    (b"+OK\r\n", "OK"),
    (b"$5\r\nhello\r\n", b"hello"),
    (b"$0\r\n\r\n", b""),
    (b"$-1\r\n", None),
    (b"*-1\r\n", None),
    (b"*3\r\n:0\r\n:1\r\n*2\r\n:7\r\n$2\r\nab\r\n", [0, 1, [7, b"ab"]]),
]


@pytest.mark.parametrize(("wire", "reply"), REPLIES)
def test_each_reply_is_read_whole_and_never_from_a_part(wire: bytes, reply: object) -> None:
    assert parse(bytearray(wire + b":9\r\n"), 0) == (reply, len(wire))
    for cut in range(len(wire)):
        assert parse(bytearray(wire[:cut]), 0) is None, cut


def test_errors_come_back_as_redis_pys_classes() -> None:
    error, _ = parse(bytearray(b"-NOSCRIPT No matching script.\r\n"), 0)  # type: ignore[misc]
    assert isinstance(error, NoScriptError)
    error, _ = parse(bytearray(b"-ERR wrong number of arguments\r\n"), 0)  # type: ignore[misc]
    assert type(error) is ResponseError and "wrong number" in str(error)


def test_commands_are_packed_as_redis_py_packs_them() -> None:
    for args in (("EVALSHA", "ab", 2, "k:1", b"raw", 0.1, -1), ("GET", "ü"), ("SET", "k", 1e-7)):
        assert pack(args) == b"".join(redis.connection.Connection().pack_command(*args))
    assert supports("redis://h:1/0") and not supports("rediss://h:1/0") and not supports("unix:///tmp/r.sock")


class _Wire:
    """A transport that keeps what is written to it."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        pass


async def test_commands_of_one_loop_turn_go_out_in_one_write_and_are_answered_in_order() -> None:
    connection, wire = _Connection(), _Wire()
    connection.connection_made(wire)  # type: ignore[arg-type]
    first, second = connection.send(pack(("GET", "a"))), connection.send(pack(("GET", "b")))
    assert wire.writes == []
    await asyncio.sleep(0)
    assert wire.writes == [pack(("GET", "a")) + pack(("GET", "b"))]
    third = connection.send(pack(("GET", "c")))
    connection.data_received(b"$1\r\nx\r\n$1\r")
    assert first.result() == b"x" and not second.done()
    connection.data_received(b"\ny\r\n")
    assert second.result() == b"y" and not third.done()
    await asyncio.sleep(0)
    assert wire.writes[1:] == [pack(("GET", "c"))]
    connection.close()
    with pytest.raises(RedisConnectionError):
        third.result()


async def test_the_urls_database_and_password_are_used() -> None:
    server = OwnRedis(password="s3cret pass")
    server.start()
    try:
        client = RespClient(server.url.replace("/0", "/3"), connect_timeout_s=1.0, timeout_s=1.0)
        assert await client.call("SET", "hp-resp", "x") == "OK"
        plain = redis.Redis(port=server.port, password="s3cret pass", db=3)
        assert plain.get("hp-resp") == b"x"
        assert redis.Redis(port=server.port, password="s3cret pass").get("hp-resp") is None
        plain.close()
        wrong = RespClient(f"redis://:nope@127.0.0.1:{server.port}/0", connect_timeout_s=1.0, timeout_s=1.0)
        with pytest.raises(ResponseError):
            await wrong.call("PING")
        await client.close()
    finally:
        server.stop()


async def test_a_killed_connection_fails_its_calls_and_the_next_call_reconnects(own_redis: OwnRedis) -> None:
    client = RespClient(own_redis.url, connect_timeout_s=1.0, timeout_s=1.0)
    name = f"hp-{uuid.uuid4().hex[:8]}"
    assert await client.call("CLIENT", "SETNAME", name) == "OK"
    blocked = asyncio.ensure_future(client.call("BLPOP", "hp-never", 5))  # waits on the server side
    await asyncio.sleep(0.1)
    redis.Redis(port=own_redis.port).client_kill_filter(_type="normal", skipme=True)
    with pytest.raises(RedisConnectionError):
        await blocked
    assert await client.call("PING") == "PONG"
    await client.close()


async def test_a_frozen_server_times_out_and_a_thawed_one_answers_again(own_redis: OwnRedis) -> None:
    client = RespClient(own_redis.url, connect_timeout_s=0.5, timeout_s=0.3)
    assert await client.call("PING") == "PONG"
    assert own_redis.process is not None
    own_redis.process.send_signal(signal.SIGSTOP)
    try:
        with pytest.raises(RedisTimeoutError):
            await client.call("PING")
    finally:
        own_redis.process.send_signal(signal.SIGCONT)
    assert await client.call("PING") == "PONG"
    await client.close()


async def test_the_limiter_reloads_a_script_a_flushed_server_forgot(own_redis: OwnRedis) -> None:
    limiter = RedisLimiter(own_redis.url, connect_timeout_s=1.0, timeout_s=1.0, deadline_s=2.0)
    rule = RateRule("key", "flushed", rpm=2)
    try:
        await limiter.acquire([rule], [], 0, 0.0)
        redis.Redis(port=own_redis.port).script_flush()
        reservation = await limiter.acquire([rule], [], 0, 0.0)  # the second of two: counted once, not lost
        assert reservation.levels[0].requests_left == 0
    finally:
        await limiter.close()


async def test_a_unix_socket_url_goes_through_redis_pys_pool(tmp_path: Path) -> None:
    server = OwnRedis(unix_socket=str(tmp_path / "redis.sock"))
    server.start()
    limiter = RedisLimiter(f"unix://{tmp_path / 'redis.sock'}", connect_timeout_s=1.0, timeout_s=1.0, deadline_s=2.0)
    rule = RateRule("key", "unix", rpm=1)
    try:
        assert await limiter.ping()
        await limiter.acquire([rule], [], 0, 0.0)
        with pytest.raises(LimitExceeded):
            await limiter.acquire([rule], [], 0, 0.0)
    finally:
        await limiter.close()
        server.stop()


def test_the_limiter_runs_its_scripts_on_the_servers_event_loop(own_redis: OwnRedis) -> None:
    """`warden serve` runs on uvloop, whose transports are not asyncio's classes."""

    async def scenario() -> str:
        limiter = RedisLimiter(own_redis.url, connect_timeout_s=1.0, timeout_s=1.0, deadline_s=2.0)
        try:
            return (await limiter.acquire([RateRule("key", "uvloop", rpm=5)], [], 0, 0.0)).backend
        finally:
            await limiter.close()

    assert uvloop.run(scenario()) == "redis"
