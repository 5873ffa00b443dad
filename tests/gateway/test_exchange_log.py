"""The exchange log: masked bodies for `logging: full` policies, nothing otherwise, purged after retention."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from gateway import exchange_log
from gateway.cli.logs import logs_group
from gateway.exchange_log import ExchangeLogger, purge_loop
from gateway.exchange_masking import PayloadMasker, replace_entities
from guardrails.pii.entities import Entity
from registry.db import make_engine
from registry.exchanges import Exchange, get_exchange, purge_expired, store_exchanges
from registry.migrate import upgrade
from registry.tables import utcnow

EMAIL, PHONE, NAME, CARD = "marie.lambert@example.com", "+1 415 555 0132", "Marie Lambert", "4111 1111 1111 1111"
RAW_VALUES = (EMAIL, PHONE, NAME, "Lambert", "marie.lambert", "555 0132", CARD)

PAYLOAD = {
    "model": "chat-a",
    "messages": [
        {"role": "system", "content": "You are a helpful HR assistant."},
        {"role": "user", "content": f"Hi, I am {NAME}. Mail me at {EMAIL} or call {PHONE}."},
        {"role": "user", "content": [{"type": "text", "text": f"My card {CARD} was charged twice."}]},
    ],
    "user": EMAIL,
    "temperature": 0.2,
}
ANSWERS = [f"Thanks {NAME}, I will write to {EMAIL} today.", "No personal data in this one."]


@pytest.fixture()
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    SQLModel.metadata.create_all(engine, tables=[Exchange.__table__])  # type: ignore[list-item]
    yield engine
    engine.dispose()


def stored_text(engine: Engine) -> str:
    """Every stored row as the database holds it, to search for raw values."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM exchanges")).all()
    return "\n".join(json.dumps([str(v) for v in row]) for row in rows)


def count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM exchanges")).scalar_one())


async def test_full_mode_stores_masked_bodies_only(engine: Engine) -> None:
    logger = ExchangeLogger(engine, batch_size=4)
    assert logger.submit("req-1", "alpha", "hr", 30, PAYLOAD, ANSWERS, mode="full")
    await logger.stop()
    assert (logger.stored, logger.dropped) == (1, 0)
    everything = stored_text(engine)
    for raw in RAW_VALUES:
        assert raw not in everything, f"raw value {raw!r} was stored"
    row = get_exchange(engine, "req-1")
    assert row is not None and row.team == "alpha" and row.policy == "hr"
    assert row.retention_until - row.created_at == timedelta(days=30)
    request = row.request_json
    assert request is not None and request["model"] == "chat-a" and request["temperature"] == 0.2
    messages = request["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "user"]  # type: ignore[index]
    assert messages[0]["content"] == "You are a helpful HR assistant."  # type: ignore[index]
    assert messages[1]["content"] == "Hi, I am <PERSON>. Mail me at <EMAIL_ADDRESS> or call <PHONE_NUMBER>."  # type: ignore[index]
    assert messages[2]["content"][0] == {"type": "text", "text": "My card <CREDIT_CARD> was charged twice."}  # type: ignore[index]
    assert request["user"] == "<EMAIL_ADDRESS>"
    assert row.response_json == {"answers": ["Thanks <PERSON>, I will write to <EMAIL_ADDRESS> today.", ANSWERS[1]]}


@pytest.mark.parametrize("mode", ["off", "metadata"])
async def test_off_and_metadata_store_no_exchange(engine: Engine, mode: str) -> None:
    logger = ExchangeLogger(engine)
    await logger.start()
    assert not logger.submit("req-2", "alpha", "p", 30, PAYLOAD, ANSWERS, mode=mode)  # type: ignore[arg-type]
    await logger.stop()
    assert count(engine) == 0 and logger.stored == 0


class FakeEngine:
    """Finds `secret` everywhere; fails on any batch holding `CRASH` (to test that failures drop, not leak)."""

    def load(self) -> None:
        pass

    def analyze_batch(self, texts: Sequence[str], language: object, entities: object,
                      threshold: float) -> list[list[Entity]]:
        if any("CRASH" in t for t in texts):
            raise RuntimeError("model failure")
        return [[Entity("SECRET", i, i + 6, 0.9)] if (i := t.find("secret")) >= 0 else [] for t in texts]


async def test_background_loop_writes_and_masking_failures_drop_never_leak(engine: Engine) -> None:
    logger = ExchangeLogger(engine, PayloadMasker(FakeEngine()), batch_size=3, flush_interval_s=0.05)  # type: ignore[arg-type]
    await logger.start()
    for i, body in enumerate(["a secret here", "CRASH with secret", "plain"]):
        assert logger.submit(f"r{i}", "alpha", "p", 7, {"messages": [{"role": "user", "content": body}]},
                             ["the secret answer"], mode="full")
    for _ in range(100):
        if logger.stored + logger.dropped == 3:
            break
        await asyncio.sleep(0.05)
    await logger.stop()
    assert (logger.stored, logger.dropped) == (2, 1)
    assert get_exchange(engine, "r1") is None
    assert "secret" not in stored_text(engine) and "CRASH" not in stored_text(engine)
    row = get_exchange(engine, "r0")
    assert row is not None and row.request_json == {"messages": [{"role": "user", "content": "a <SECRET> here"}]}


async def test_queue_limit_and_database_failure_never_raise(database_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exchange_log, "RETRY_DELAYS", (0.0,))
    engine = make_engine(database_url)  # no `exchanges` table: every insert fails
    logger = ExchangeLogger(engine, PayloadMasker(FakeEngine()), max_pending=2)  # type: ignore[arg-type]
    results = [logger.submit(f"r{i}", None, None, 1, {"m": "x"}, [], mode="full") for i in range(3)]
    assert not logger.submit("bad", None, None, 1, {"m": object()}, [], mode="full")  # type: ignore[dict-item]
    assert results == [True, True, False]
    await logger.stop()
    assert (logger.stored, logger.dropped) == (0, 4)
    engine.dispose()


def exchange(request_id: str, days_left: float, team: str = "alpha") -> Exchange:
    now = utcnow()
    return Exchange(request_id=request_id, created_at=now - timedelta(days=1), team=team, policy="p",
                    retention_until=now + timedelta(days=days_left), request_json={"messages": []},
                    response_json={"answers": ["<PERSON> said hi"]})


def test_store_is_idempotent_and_purge_deletes_only_expired(engine: Engine) -> None:
    rows = [exchange("old-1", -2), exchange("old-2", -0.01), exchange("live-1", 0.5), exchange("live-2", 30)]
    assert store_exchanges(engine, rows) == 4
    assert store_exchanges(engine, [rows[0], exchange("live-3", 3)]) == 1
    assert purge_expired(engine) == 2
    assert {r for r in ("old-1", "old-2", "live-1", "live-2", "live-3") if get_exchange(engine, r)} == {
        "live-1", "live-2", "live-3"}
    assert purge_expired(engine, now=utcnow() + timedelta(days=4)) == 2
    assert purge_expired(engine) == 0 and count(engine) == 1
    assert get_exchange(engine, "live-2", team="beta") is None
    assert get_exchange(engine, "live-2", team="alpha") is not None


async def wait_for_count(engine: Engine, expected: int) -> None:
    for _ in range(100):
        if count(engine) == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still {count(engine)} exchanges, expected {expected}")


async def test_purge_loop_runs_on_a_schedule(engine: Engine) -> None:
    store_exchanges(engine, [exchange("old", -1), exchange("live", 1)])
    task = asyncio.create_task(purge_loop(engine, interval_s=0.05))
    try:
        await wait_for_count(engine, 1)
        store_exchanges(engine, [exchange("older", -3)])  # expires after the first round: the next one takes it
        await wait_for_count(engine, 1)
    finally:
        task.cancel()
    assert get_exchange(engine, "live") is not None


def invoke(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(logs_group, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def test_logs_show_and_purge_cli(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    store_exchanges(engine, [exchange("gone-1", -1), exchange("gone-2", -5), exchange("kept", 10)])
    shown = json.loads(invoke("show", "kept").stdout)
    assert shown["request_id"] == "kept" and shown["team"] == "alpha" and shown["policy"] == "p"
    assert shown["response"] == {"answers": ["<PERSON> said hi"]} and shown["request"] == {"messages": []}
    assert "no exchange logged for request 'nope'" in invoke("show", "nope", code=1).stderr
    assert "in team 'beta'" in invoke("show", "kept", "--team", "beta", code=1).stderr
    assert invoke("purge").stdout.strip() == "deleted 2 exchanges past their retention"
    assert invoke("purge").stdout.strip() == "deleted 0 exchanges past their retention"
    assert "gone-1" in invoke("show", "gone-1", code=1).stderr


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        ("call 555 now", [("PHONE_NUMBER", 5, 8)], "call <PHONE_NUMBER> now"),
        ("a@b.io and c@d.io", [("EMAIL_ADDRESS", 11, 17), ("EMAIL_ADDRESS", 0, 6)],
         "<EMAIL_ADDRESS> and <EMAIL_ADDRESS>"),
        ("Jean Dupont", [("PERSON", 0, 11), ("PERSON", 5, 11)], "<PERSON>"),
        ("xx Jean Dupont yy", [("PERSON", 3, 7), ("LOCATION", 5, 14)], "xx <PERSON> yy"),
        ("nothing", [], "nothing"),
    ],
)
def test_replace_entities(text: str, spans: list[tuple[str, int, int]], expected: str) -> None:
    assert replace_entities(text, [Entity(kind, start, end, 0.9) for kind, start, end in spans]) == expected
