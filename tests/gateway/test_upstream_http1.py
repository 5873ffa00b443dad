"""Warden's HTTP/1.1 upstream client on real sockets against servers written byte by byte: bodies by length, by
chunks, to the connection's end and gzip'd; keep-alive and its races; time limits; TLS; the pool's limit; and the
failures the router acts on, as the provider reports them."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import uvloop
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway.providers.base import Deployment, ProviderError
from gateway.providers.http1 import HttpGone, HttpTimeout
from gateway.providers.http1_pool import Http1Client
from gateway.providers.openai_compat import OpenAICompatProvider
from tests.support.raw_upstream import RawUpstream, SeenRequest, chunked, reply

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
ANSWER = {"id": "c1", "object": "chat.completion", "choices": [{"index": 0, "message": {"content": "ok"}}],
          "usage": {"prompt_tokens": 3, "completion_tokens": 1}}


def _deployment(base: str, **overrides: Any) -> Deployment:
    fields: dict[str, Any] = {"id": "dep-1", "model_name": "m", "provider": "openai", "upstream_model": "m",
                              "litellm_model": "openai/m", "transport": "native", "api_base": f"{base}/v1",
                              "api_key": "sk-test", "timeout": 5.0, "stream_timeout": 5.0}
    return Deployment(**{**fields, **overrides})


async def _serving(answer: Any, **options: Any) -> tuple[RawUpstream, str]:
    server = RawUpstream(answer, **options)
    return server, await server.start()


def _writes(*pieces: bytes, keep: bool = True, pause: float = 0.0) -> Any:
    async def answer(request: SeenRequest, writer: asyncio.StreamWriter) -> bool:
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            if pause:
                await asyncio.sleep(pause)
        return keep
    return answer


async def test_a_body_by_length_and_what_the_upstream_is_sent() -> None:
    body = orjson.dumps(ANSWER)
    server, base = await _serving(_writes(reply(200, body, {"content-type": "application/json; charset=utf-8"})))
    client = Http1Client()
    try:
        response = await client.post(f"{base}/v1/chat/completions", {"authorization": "Bearer sk-x", "X-Team": "a"},
                                     b'{"a":1}', timeout=5)
        assert (response.status, response.headers["content-type"]) == (200, "application/json; charset=utf-8")
        assert await response.read() == body
    finally:
        await client.close()
        await server.stop()
    [seen] = server.requests
    assert seen.line == "POST /v1/chat/completions HTTP/1.1" and seen.body == b'{"a":1}'
    assert seen.headers["host"] == f"127.0.0.1:{server.port}" and seen.headers["content-length"] == "7"
    assert seen.headers["authorization"] == "Bearer sk-x" and seen.headers["x-team"] == "a"
    assert seen.headers["accept-encoding"] == "gzip, deflate" and seen.headers["user-agent"]


async def test_a_chunked_body_arrives_whole_and_a_stream_piece_by_piece() -> None:
    head, parts, end = chunked(b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n")
    server, base = await _serving(_writes(head, *parts, end, pause=0.02))
    client = Http1Client()
    try:
        response = await client.post(base, {}, b"", timeout=5)
        assert await response.read() == b"data: 1\n\ndata: 2\n\ndata: 3\n\n"
        stream = await client.post(base, {}, b"", read_timeout=5)
        pieces = []
        while (piece := await stream.next_bytes()) is not None:
            pieces.append(piece)
        assert pieces == [b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"]  # each as it came, none held back
    finally:
        await client.close()
        await server.stop()


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
async def test_compressed_bodies_are_decoded(coding: str) -> None:
    body = orjson.dumps(ANSWER) * 20
    if coding == "gzip":
        packed = gzip.compress(body)
    else:
        packer = zlib.compressobj(wbits=zlib.MAX_WBITS if coding == "deflate" else -zlib.MAX_WBITS)
        packed = packer.compress(body) + packer.flush()
    name = "gzip" if coding == "gzip" else "deflate"
    head, parts, end = chunked(packed[:10], packed[10:], headers=f"content-encoding: {name}\r\n")
    server, base = await _serving(_writes(reply(200, packed, {"content-encoding": name}), head, *parts, end))
    client = Http1Client()
    try:
        assert await (await client.post(base, {}, b"", timeout=5)).read() == body
        assert await (await client.post(base, {}, b"", timeout=5)).read() == body  # chunks cut mid-stream too
    finally:
        await client.close()
        await server.stop()


async def test_a_body_without_length_ends_with_the_connection() -> None:
    server, base = await _serving(_writes(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n", b"the whole", b" answer",
                                          keep=False, pause=0.02))
    client = Http1Client()
    try:
        assert await (await client.post(base, {}, b"", timeout=5)).read() == b"the whole answer"
    finally:
        await client.close()
        await server.stop()


async def test_sequential_requests_share_one_connection_unless_told_to_close() -> None:
    server, base = await _serving(_writes(reply()))
    client = Http1Client()
    try:
        for _ in range(3):
            assert await (await client.post(base, {}, b"x", timeout=5)).read() == b"{}"
        assert (server.connections, len(server.requests)) == (1, 3)
        server.answer = _writes(reply(headers={"connection": "close"}))
        for _ in range(3):
            assert await (await client.post(base, {}, b"x", timeout=5)).read() == b"{}"
        assert [r.connection for r in server.requests] == [0, 0, 0, 0, 1, 2]  # each `close` answer ended its own
    finally:
        await client.close()
        await server.stop()


async def test_a_connection_idle_past_the_timeout_is_not_reused() -> None:
    server, base = await _serving(_writes(reply()))
    client = Http1Client(idle_timeout=0.1)
    try:
        await (await client.post(base, {}, b"", timeout=5)).read()
        await asyncio.sleep(0.2)
        await (await client.post(base, {}, b"", timeout=5)).read()
        assert server.connections == 2
    finally:
        await client.close()
        await server.stop()


async def test_a_pooled_connection_the_server_dropped_is_retried_once_on_a_fresh_one() -> None:
    async def answer(request: SeenRequest, writer: asyncio.StreamWriter) -> bool:
        if request.connection == 0 and len(server.requests) == 2:
            return False  # the server's idle timer won the race: closed with the request unanswered
        writer.write(reply())
        return True

    server, base = await _serving(answer)
    client = Http1Client()
    try:
        await (await client.post(base, {}, b"1", timeout=5)).read()
        assert await (await client.post(base, {}, b"2", timeout=5)).read() == b"{}"
        assert server.connections == 2 and [r.body for r in server.requests] == [b"1", b"2", b"2"]
    finally:
        await client.close()
        await server.stop()


async def test_a_fresh_connection_closed_unanswered_fails_without_a_second_send() -> None:
    server, base = await _serving(_writes(keep=False))
    client = Http1Client()
    try:
        with pytest.raises(HttpGone, match="before the answer began"):
            await client.post(base, {}, b"once", timeout=5)
        assert len(server.requests) == 1  # the upstream may have acted on it: not sent again
    finally:
        await client.close()
        await server.stop()


async def test_the_pool_never_opens_more_than_its_limit() -> None:
    async def answer(request: SeenRequest, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.03)
        writer.write(reply(body=request.body))
        return True

    server, base = await _serving(answer)
    client = Http1Client(limit=2)
    try:
        async def call(i: int) -> bytes:
            return await (await client.post(base, {}, str(i).encode(), timeout=5)).read()

        assert await asyncio.gather(*(call(i) for i in range(8))) == [str(i).encode() for i in range(8)]
        assert server.most_open == 2 and server.connections == 2
    finally:
        await client.close()
        await server.stop()


async def test_a_stream_closed_early_is_not_reused_and_a_finished_one_is() -> None:
    head, parts, end = chunked(b"data: 1\n\n", b"data: [DONE]\n\n")
    cut: list[bool] = []

    async def answer(request: SeenRequest, writer: asyncio.StreamWriter) -> bool:
        writer.write(head + parts[0])
        if request.body == b"hang":  # keeps writing until the client's close stops it
            for _ in range(100):
                await asyncio.sleep(0.01)
                try:
                    writer.write(chunked(b": ping\n\n")[1][0])
                    await writer.drain()
                except ConnectionError:
                    cut.append(True)
                    return False
            return False
        writer.write(parts[1])
        if request.body == b"late":  # the body's end trails the last event
            await writer.drain()
            await asyncio.sleep(0.05)
        writer.write(end)
        return True

    server, base = await _serving(answer)
    client = Http1Client()
    try:
        left = await client.post(base, {}, b"hang", read_timeout=5)
        assert await left.next_bytes() == b"data: 1\n\n"
        left.close()
        done = await client.post(base, {}, b"late", read_timeout=5)
        while b"[DONE]" not in (await done.next_bytes() or b"[DONE]"):
            pass
        done.release()  # before the body's end: the connection goes back once it is in
        await asyncio.sleep(0.15)
        again = await client.post(base, {}, b"full", read_timeout=5)
        await again.read()
        assert [r.connection for r in server.requests] == [0, 1, 1]
        await asyncio.sleep(0.1)
        assert cut == [True]  # the left stream's connection was closed, not kept reading
    finally:
        await client.close()
        await server.stop()


def _self_signed(tmp_path: Path) -> tuple[Path, Path, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(pem)
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    return tmp_path / "cert.pem", tmp_path / "key.pem", pem.decode()


async def test_tls_is_verified_with_the_host_as_sni(tmp_path: Path) -> None:
    cert, key, pem = _self_signed(tmp_path)
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    names: list[str | None] = []
    served.sni_callback = lambda _socket, name, _context: names.append(name)  # type: ignore[assignment,misc,return-value]
    server, _ = await _serving(_writes(reply(body=b'{"tls":true}')), ssl_context=served)
    url = f"https://localhost:{server.port}/v1/chat/completions"
    trusting = Http1Client(ssl_context=ssl.create_default_context(cadata=pem))
    default = Http1Client()
    try:
        assert await (await trusting.post(url, {}, b"", timeout=5)).read() == b'{"tls":true}'
        assert names == ["localhost"] and server.requests[0].headers["host"] == f"localhost:{server.port}"
        with pytest.raises(HttpGone, match="CERTIFICATE_VERIFY_FAILED"):
            await default.post(url, {}, b"", timeout=5)
    finally:
        await trusting.close()
        await default.close()
        await server.stop()


async def test_header_values_cannot_smuggle_lines() -> None:
    client = Http1Client()
    with pytest.raises(ValueError, match="x-evil"):
        await client.post("http://127.0.0.1:9/", {"x-evil": "a\r\nhost: elsewhere"}, b"", timeout=1)
    await client.close()


# The provider over the client: each failure as the kind the router retries and falls back on.


async def _provider_error(answer: Any, *, stream: bool = False, **deployment: Any) -> ProviderError:
    server, base = await _serving(answer)
    provider = OpenAICompatProvider()
    try:
        with pytest.raises(ProviderError) as raised:
            if stream:
                async for _ in await provider.stream(_deployment(base, **deployment), CHAT):
                    pass
            else:
                await provider.chat(_deployment(base, **deployment), CHAT)
    finally:
        await provider.close()
        await server.stop()
    return raised.value


async def test_chat_and_stream_through_the_provider() -> None:
    head, parts, end = chunked(b'data: {"choices":[{"index":0,"delta":{"content":"o"}}]}\n\n',
                               b': keep-alive\n\ndata: {"choices":[{"index":0,"delta":{"content":"k"}}]}\n',
                               b"\ndata: [DONE]\n\n")

    async def answer(request: SeenRequest, writer: asyncio.StreamWriter) -> bool:
        writer.write(head + b"".join(parts) + end if orjson.loads(request.body).get("stream")
                     else reply(body=orjson.dumps(ANSWER)))
        return True

    server, base = await _serving(answer)
    provider = OpenAICompatProvider()
    try:
        done = await provider.chat(_deployment(base), CHAT)
        assert (done.body, done.prompt_tokens, done.completion_tokens) == (ANSWER, 3, 1)
        chunks = [c async for c in await provider.stream(_deployment(base), {**CHAT, "stream": True})]
        assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["o", "k"]
        assert server.requests[0].headers["authorization"] == "Bearer sk-test"
    finally:
        await provider.close()
        await server.stop()


async def test_an_error_status_keeps_its_code_and_retry_after() -> None:
    body = orjson.dumps({"error": {"message": "slow down", "code": "rate_limit_exceeded"}})
    for stream in (False, True):
        error = await _provider_error(_writes(reply(429, body, {"retry-after": "7"})), stream=stream)
        assert (error.kind, error.status, error.retry_after, error.code) == ("status", 429, 7.0, "rate_limit_exceeded")
        assert "slow down" in error.message and error.retryable


async def test_a_redirect_is_reported_not_followed() -> None:
    error = await _provider_error(_writes(reply(307, b"", {"location": "http://elsewhere.example/v1"})))
    assert (error.kind, error.status) == ("status", 307) and "elsewhere.example" in error.message


async def test_a_body_cut_short_is_a_connection_failure() -> None:
    cut = reply(body=orjson.dumps(ANSWER))[:-10]
    error = await _provider_error(_writes(cut, keep=False))
    assert error.kind == "connection" and "mid-answer" in error.message


async def test_a_stream_cut_short_is_a_connection_failure() -> None:
    head, parts, _ = chunked(b'data: {"choices":[]}\n\n')
    error = await _provider_error(_writes(head, *parts, keep=False), stream=True)
    assert error.kind == "connection" and "dep-1 cut the stream" in error.message


async def test_an_unreachable_upstream_is_a_connection_failure() -> None:
    server, base = await _serving(_writes())
    await server.stop()  # the port is free again: nothing listens there
    provider = OpenAICompatProvider()
    with pytest.raises(ProviderError) as raised:
        await provider.chat(_deployment(base), CHAT)
    await provider.close()
    assert raised.value.kind == "connection" and "cannot reach dep-1" in raised.value.message


async def test_a_slow_upstream_times_out() -> None:
    async def stall(request: SeenRequest, writer: asyncio.StreamWriter) -> bool:
        writer.write(reply(body=b'{"id": "slow"}')[:-4])  # all but the body's end, then nothing
        await asyncio.sleep(1.0)
        return False

    error = await _provider_error(stall, timeout=0.3)
    assert error.kind == "timeout" and "0.3s" in error.message


async def test_a_stalled_stream_times_out_per_read_not_in_total() -> None:
    head, parts, _ = chunked(*[b'data: {"choices":[]}\n\n'] * 4)
    server, base = await _serving(_writes(head, *parts, pause=0.15))  # then silence, the connection open
    provider = OpenAICompatProvider()
    got = 0
    try:
        with pytest.raises(ProviderError) as raised:
            async for _ in await provider.stream(_deployment(base, stream_timeout=0.4), CHAT):
                got += 1
    finally:
        await provider.close()
        await server.stop()
    assert raised.value.kind == "timeout" and "stalled" in raised.value.message
    assert got == 4  # 0.6 s of chunks each within 0.4 s of the last: only the silence after them timed out


async def test_the_read_limit_counts_from_the_last_bytes_or_the_start_of_a_wait() -> None:
    """aiohttp's `sock_read`: an answer trickling in lives while bytes keep coming, and a reader slower than the
    limit is not held to account for the time it spent away."""
    answer = reply(body=b'{"slow": "head"}')
    server, base = await _serving(_writes(*(answer[i:i + 8] for i in range(0, len(answer), 8)), pause=0.1))
    client = Http1Client()
    try:
        assert await (await client.post(base, {}, b"", read_timeout=0.3)).read() == b'{"slow": "head"}'
        head, parts, end = chunked(b"data: 1\n\n", b"data: 2\n\n")
        server.answer = _writes(head + parts[0], parts[1] + end, pause=0.5)
        stream = await client.post(base, {}, b"", read_timeout=0.3)
        assert await stream.next_bytes() == b"data: 1\n\n"
        await asyncio.sleep(0.4)  # away longer than the limit; the next part comes 0.1 s into the wait
        assert await stream.next_bytes() == b"data: 2\n\n"
        stream.close()
    finally:
        await client.close()
        await server.stop()


def _stall(seconds: float) -> Any:
    async def answer(request: SeenRequest, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(seconds)
        return False
    return answer


async def test_no_head_in_time_raises_the_clients_timeout() -> None:
    server, base = await _serving(_stall(1.0))
    client = Http1Client()
    try:
        with pytest.raises(HttpTimeout):
            await client.post(base, {}, b"", timeout=0.2)
        with pytest.raises(HttpTimeout):
            await client.post(base, {}, b"", read_timeout=0.2)
    finally:
        await client.close()
        await server.stop()


ON_UVLOOP = [test_a_body_by_length_and_what_the_upstream_is_sent,
             test_a_chunked_body_arrives_whole_and_a_stream_piece_by_piece,
             test_a_pooled_connection_the_server_dropped_is_retried_once_on_a_fresh_one,
             test_the_pool_never_opens_more_than_its_limit, test_a_stream_closed_early_is_not_reused_and_a_finished_one_is,
             test_chat_and_stream_through_the_provider, test_a_stalled_stream_times_out_per_read_not_in_total,
             test_a_slow_upstream_times_out, test_tls_is_verified_with_the_host_as_sni]


@pytest.mark.parametrize("scenario", ON_UVLOOP, ids=[f.__name__.removeprefix("test_") for f in ON_UVLOOP])
def test_on_uvloop(scenario: Any, tmp_path: Path) -> None:
    """`warden serve` runs on uvloop, whose transports are not asyncio's classes: the same tests on its loop."""
    uvloop.run(scenario(tmp_path) if "tmp_path" in scenario.__code__.co_varnames[:1] else scenario())
