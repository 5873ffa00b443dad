"""RAG governance end to end: the openai SDK -> Warden -> a fake upstream that records what it got. Chunks the caller
may not read never reach the upstream; unregistered and stale sources follow the policy; mixed and retired embedding
versions are flagged; the citation policy flags or blocks; the usage row counts removed chunks and lists cited ones."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import openai
import pytest

from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway

POLICIES = {
    "cite_flag": {"output": [{"guardrail": "grounding", "mode": "annotate", "citations": "flag"}]},
    "cite_block": {"output": [{"guardrail": "grounding", "mode": "annotate", "citations": "block"}]},
    "pii_mask": {"input": [{"guardrail": "pii", "mode": "mask"}]},
}
SECRET = "Q3 layoffs are planned for the beta team."


def _config(upstream: FakeUpstream, **rag: Any) -> dict[str, Any]:
    return {"model_list": [deployment("chat-a", upstream)], "prompts": None, "guardrail_policies": POLICIES,
            "rag": {"enabled": True, "send_documents": True, "refresh_s": 0,
                    "team_groups": {"alpha": ["alpha", "staff"], "beta": ["beta", "staff"]},
                    "end_user_groups": {"eve": ["staff"]}, **rag}}


TEAMS = {"alpha": {}, "beta": {}, "citeflag": {"guardrail_policy": "cite_flag"},
         "citeblock": {"guardrail_policy": "cite_block"}, "pii": {"guardrail_policy": "pii_mask"},
         "tight": {"budget_usd": 0.01}}


@pytest.fixture()
def rag_gw(make_gateway: Any, upstream: FakeUpstream):  # type: ignore[no-untyped-def]
    with make_gateway(_config(upstream, unregistered_sources="flag", stale_sources="flag"), dict(TEAMS)) as gw:
        _register(gw, "hr", freshness_sla_s=86400, refreshed_at=_ago(hours=1), embedding_model="e5",
                  embedding_version="v2")
        _register(gw, "geo", embedding_model="e5", embedding_version="v2")
        yield gw


def _ago(**delta: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(**delta)).isoformat()


def _register(gw: RunningGateway, source_id: str, **fields: Any) -> None:
    with gw.http() as http:
        response = http.post("/registry/rag/sources", json={"id": source_id, "owner": "kb-team", **fields},
                             headers={"authorization": f"Bearer {gw.admin_key}"})
    assert response.status_code == 201, response.text


def _chunk(text: str, source: str, chunk: str, acl: list[str] | None = None, version: str = "v2") -> dict[str, Any]:
    return {"text": text, "metadata": {"source_id": source, "chunk_id": chunk, "chunking": "recursive-512",
                                       "embedding_model": "e5", "embedding_version": version, "acl": acl or []}}


def _ask(gw: RunningGateway, documents: list[Any], team: str = "alpha", **extra: Any) -> Any:
    return gw.client(team).chat.completions.with_raw_response.create(
        model="chat-a", messages=[{"role": "user", "content": "What is planned?"}],
        extra_body={"documents": documents}, **extra)


def _sent(upstream: FakeUpstream) -> str:
    return json.dumps(upstream.requests[-1].json["messages"])


def test_chunks_of_another_team_never_reach_the_upstream(rag_gw: RunningGateway, upstream: FakeUpstream) -> None:
    documents = [_chunk("Alpha roadmap: ship v2 in May.", "hr", "a1", ["alpha"]),
                 _chunk(SECRET, "hr", "b1", ["beta"]),
                 _chunk("The office opens at 9.", "geo", "g1")]
    raw = _ask(rag_gw, documents)
    sent = _sent(upstream)
    assert "Alpha roadmap" in sent and "The office opens at 9." in sent
    assert "layoffs" not in sent
    assert "[1] Alpha roadmap" in sent and "[2] The office opens" in sent  # renumbered after the removal
    assert "rag=mask" in raw.headers["x-warden-guardrails"]
    row = rag_gw.row(raw.headers["x-request-id"])
    assert row.chunks_removed == 1
    assert row.guardrails and row.guardrails[0]["findings"] == {"acl": 1}

    raw = _ask(rag_gw, documents, team="beta")
    assert "layoffs" in _sent(upstream) and "Alpha roadmap" not in _sent(upstream)
    assert rag_gw.row(raw.headers["x-request-id"]).chunks_removed == 1


def test_an_end_user_reads_only_what_both_it_and_its_team_may(rag_gw: RunningGateway, upstream: FakeUpstream) -> None:
    documents = [_chunk("Alpha roadmap: ship v2 in May.", "hr", "a1", ["alpha"]),
                 _chunk("Staff handbook: badges at the door.", "hr", "s1", ["staff"])]
    raw = _ask(rag_gw, documents, user="eve")
    sent = _sent(upstream)
    assert "Staff handbook" in sent and "Alpha roadmap" not in sent
    assert rag_gw.row(raw.headers["x-request-id"]).chunks_removed == 1


def test_unregistered_and_stale_sources_are_flagged_by_default(rag_gw: RunningGateway, upstream: FakeUpstream) -> None:
    _register(rag_gw, "old", freshness_sla_s=3600, refreshed_at=_ago(days=2))
    raw = _ask(rag_gw, [_chunk("From a wiki nobody registered.", "wiki", "w1"), _chunk("Old news.", "old", "o1")])
    sent = _sent(upstream)
    assert "nobody registered" in sent and "Old news." in sent
    assert "rag=flag" in raw.headers["x-warden-guardrails"]
    row = rag_gw.row(raw.headers["x-request-id"])
    assert row.chunks_removed == 0
    assert row.guardrails[0]["findings"] == {"unregistered_source": 1, "stale_source": 1}


def test_drop_unregistered_and_refuse_stale(make_gateway: Any, upstream: FakeUpstream) -> None:
    with make_gateway(_config(upstream, unregistered_sources="drop", stale_sources="refuse"), dict(TEAMS)) as gw:
        _register(gw, "old", freshness_sla_s=3600, refreshed_at=_ago(days=2))
        _register(gw, "geo")
        raw = _ask(gw, [_chunk("From a wiki nobody registered.", "wiki", "w1"),
                        _chunk("Paris is in France.", "geo", "g1")])
        assert "nobody registered" not in _sent(upstream) and "Paris is in France." in _sent(upstream)
        assert gw.row(raw.headers["x-request-id"]).chunks_removed == 1
        calls = len(upstream.requests)
        with pytest.raises(openai.PermissionDeniedError) as refused:
            _ask(gw, [_chunk("Old news.", "old", "o1")])
        assert refused.value.code == "rag_source_refused" and "'old'" in refused.value.message
        assert len(upstream.requests) == calls  # nothing went upstream
        blocked = gw.rows(status="blocked")
        assert len(blocked) == 1 and blocked[0].status_code == 403


def test_mixed_and_retired_embedding_versions_are_flagged(rag_gw: RunningGateway) -> None:
    raw = _ask(rag_gw, [_chunk("One.", "geo", "g1", version="v2"), _chunk("Two.", "geo", "g2", version="v1")])
    findings = rag_gw.row(raw.headers["x-request-id"]).guardrails[0]["findings"]
    assert findings == {"mixed_embedding_versions": 1, "embedding_mismatch": 1}
    with rag_gw.http() as http:
        response = http.post("/registry/rag/embeddings", json={"model": "e5", "version": "v2", "status": "retired"},
                             headers={"authorization": f"Bearer {rag_gw.admin_key}"})
    assert response.status_code == 200, response.text
    raw = _ask(rag_gw, [_chunk("One.", "geo", "g1")])
    assert rag_gw.row(raw.headers["x-request-id"]).guardrails[0]["findings"] == {"retired_embedding_version": 1}


def test_chunk_metadata_is_validated(rag_gw: RunningGateway) -> None:
    bad = {"text": "x", "metadata": {"source_id": "geo", "acl": "alpha"}}
    with pytest.raises(openai.BadRequestError) as error:
        _ask(rag_gw, [bad])
    assert error.value.param == "documents[0].metadata.acl"
    with pytest.raises(openai.BadRequestError) as error:
        _ask(rag_gw, [{"text": "x", "metadata": {"source": "geo"}}])
    assert error.value.param == "documents[0].metadata.source"


def test_citation_policy_flags_blocks_and_the_row_lists_cited_chunks(rag_gw: RunningGateway,
                                                                     upstream: FakeUpstream) -> None:
    documents = [_chunk("Paris is the capital of France.", "geo", "g1"),
                 _chunk("Berlin is the capital of Germany.", "geo", "g2")]
    upstream.set_behaviour(reply="Berlin is the capital of Germany [2].")
    raw = _ask(rag_gw, documents, team="citeflag")
    row = rag_gw.row(raw.headers["x-request-id"])
    assert row.chunks_cited == ["geo/g2"]
    assert "grounding=allow" in raw.headers["x-warden-guardrails"]

    upstream.set_behaviour(reply="Berlin is the capital of Germany.")
    raw = _ask(rag_gw, documents, team="citeflag")
    assert "grounding=flag" in raw.headers["x-warden-guardrails"]
    assert rag_gw.row(raw.headers["x-request-id"]).chunks_cited == []
    with pytest.raises(openai.BadRequestError) as blocked:
        _ask(rag_gw, documents, team="citeblock")
    assert "grounding" in blocked.value.message

    upstream.set_behaviour(reply="Berlin is the capital of Germany [7].")
    with pytest.raises(openai.BadRequestError):
        _ask(rag_gw, documents, team="citeblock")
    raw = _ask(rag_gw, documents, team="citeflag")
    assert "grounding=flag" in raw.headers["x-warden-guardrails"]


def test_source_writes_need_an_admin_key(rag_gw: RunningGateway) -> None:
    with rag_gw.http() as http:
        response = http.post("/registry/rag/sources", json={"id": "x", "owner": "me"},
                             headers={"authorization": f"Bearer {rag_gw.keys['alpha']}"})
        assert response.status_code == 403
        listed = http.get("/registry/rag/sources", headers={"authorization": f"Bearer {rag_gw.keys['alpha']}"})
        assert [s["id"] for s in listed.json()] == ["geo", "hr"]
        duplicate = http.post("/registry/rag/sources", json={"id": "geo", "owner": "me"},
                              headers={"authorization": f"Bearer {rag_gw.admin_key}"})
        assert duplicate.status_code == 409
        bad = http.post("/registry/rag/sources", json={"id": "g eo", "owner": "me", "colour": 1},
                        headers={"authorization": f"Bearer {rag_gw.admin_key}"})
        assert bad.status_code == 400 and bad.json()["error"]["param"] in ("id", "colour")


def test_a_stream_lists_its_cited_chunks_and_a_missing_citation_ends_it(rag_gw: RunningGateway,
                                                                        upstream: FakeUpstream) -> None:
    documents = [_chunk("Paris is the capital of France.", "geo", "g1", ["alpha"]),
                 _chunk("Berlin is the capital of Germany.", "geo", "g2", ["citeflag", "citeblock"])]
    upstream.set_behaviour(reply="Berlin is the capital of Germany [1].")
    stream = rag_gw.client("citeflag").chat.completions.with_raw_response.create(
        model="chat-a", messages=[{"role": "user", "content": "Capital of Germany?"}], stream=True,
        extra_body={"documents": documents})
    text = "".join(c.choices[0].delta.content or "" for c in stream.parse() if c.choices)
    assert text == "Berlin is the capital of Germany [1]."
    row = rag_gw.row(stream.headers["x-request-id"])
    assert row.stream and row.chunks_removed == 1 and row.chunks_cited == ["geo/g2"]  # [1] is g2 once g1 is removed

    upstream.set_behaviour(reply="Berlin is the capital of Germany.")
    with pytest.raises(openai.APIError):
        chunks = rag_gw.client("citeblock").chat.completions.create(
            model="chat-a", messages=[{"role": "user", "content": "Capital of Germany?"}], stream=True,
            extra_body={"documents": documents})
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_chunks_sent_upstream_are_masked_as_the_input_guardrails_left_them(rag_gw: RunningGateway,
                                                                          upstream: FakeUpstream) -> None:
    email = "jean.dupont@example.com"
    _ask(rag_gw, [_chunk(f"Write to {email} for refunds.", "geo", "g1")], team="pii")
    sent = _sent(upstream)
    assert email not in sent and "[1] Write to <EMAIL_ADDRESS_1> for refunds." in sent


def test_the_budget_hold_covers_the_chunks_sent_upstream(rag_gw: RunningGateway, upstream: FakeUpstream) -> None:
    """At most a byte a token and 1e-6 USD a prompt token: 20,000 bytes of chunks are a 0.02 USD worst case."""
    _ask(rag_gw, [_chunk("Short.", "geo", "g1")], team="tight", max_tokens=1)
    calls = len(upstream.requests)
    with pytest.raises(openai.RateLimitError) as refused:
        _ask(rag_gw, [_chunk("word " * 4000, "geo", "g1")], team="tight", max_tokens=1)
    assert refused.value.code == "budget_exceeded"
    assert len(upstream.requests) == calls


def test_the_readme_config_is_valid_and_strict() -> None:
    from pathlib import Path

    import yaml

    from gateway.config import ConfigError, parse_config

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## RAG governance", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = parse_config(yaml.safe_load(block))
    assert config.rag.enabled and config.rag.stale_sources == "drop"
    assert config.guardrail_policies["cited"].output[0].options() == {"mode": "annotate", "citations": "block"}
    with pytest.raises(ConfigError, match="unknown key 'rag.stale'"):
        parse_config({"rag": {"stale": "drop"}})


def test_acl_removal_and_cited_chunks_on_postgresql(make_gateway: Any, upstream: FakeUpstream) -> None:
    from tests.support.services import temporary_pg_database

    with temporary_pg_database() as url, make_gateway(_config(upstream), dict(TEAMS), database_url=url) as gw:
        _register(gw, "geo")
        upstream.set_behaviour(reply="Berlin is the capital of Germany [1].")
        documents = [_chunk(SECRET, "geo", "b1", ["beta"]), _chunk("Berlin is the capital of Germany.", "geo", "g2")]
        raw = _ask(gw, documents, team="citeflag")
        assert "layoffs" not in _sent(upstream)
        row = gw.row(raw.headers["x-request-id"])
        assert (row.chunks_removed, row.chunks_cited) == (1, ["geo/g2"])
