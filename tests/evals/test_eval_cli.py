"""`warden eval` over a real gateway in front of a fake upstream on a real socket: record, replay, exit codes,
JUnit, a ragas metric with a known answer, and suite errors naming file:line."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import orjson
import pytest
from click.testing import CliRunner

from gateway.cli import cli
from tests.gateway.conftest import deployment

SUITE = """\
description: scripted answers
model: m1
metrics:
  - {{metric: rouge, min: {rouge_min}}}
cases:
  - id: capital
    reference: Paris is the capital of France.
    messages:
      - {{role: user, content: "Capital of France? [[fake:reply=Paris is the capital of France.]]"}}
    assertions:
      - {{contains: Paris}}
{extra}"""
WRONG = """\
  - id: wrong-city
    reference: Paris is the capital of France.
    messages:
      - {role: user, content: "Capital of France again? [[fake:reply=Lyon, I think.]]"}
    assertions:
      - {contains: Paris}
"""


def _invoke(*args: str, env: dict[str, str]) -> object:
    return CliRunner().invoke(cli, ["eval", *args], env=env, catch_exceptions=False)


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'eval.db'}", "WARDEN_CONFIG": str(tmp_path / "none.yaml")}


def _write(tmp_path: Path, extra: str = WRONG, rouge_min: float = 0.5) -> Path:
    path = tmp_path / "suites" / "scripted.eval.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(SUITE.format(extra=extra, rouge_min=rouge_min), encoding="utf-8")
    return path


def test_record_then_replay_offline(make_gateway, upstream, tmp_path: Path, env: dict[str, str]) -> None:
    suite = _write(tmp_path)
    junit, out = tmp_path / "junit.xml", tmp_path / "result.json"
    with make_gateway({"model_list": [deployment("m1", upstream)]}) as gw:
        recorded = _invoke("run", str(suite), "--gateway", gw.base_url, "--key", gw.keys["alpha"], "--record",
                           "--json", str(out), env=env)
    assert recorded.exit_code == 1, recorded.output  # wrong-city fails its assertion
    assert len(upstream.requests_to("/chat/completions")) == 2
    data = orjson.loads(out.read_bytes())["suites"][0]
    cases = {c["id"]: c for c in data["cases"]}
    assert cases["capital"]["passed"] and cases["capital"]["metrics"]["rouge"] == pytest.approx(1.0)
    assert not cases["wrong-city"]["passed"] and "missing ['Paris']" in cases["wrong-city"]["failures"][0]
    assert cases["wrong-city"]["metrics"]["rouge"] < 0.5

    upstream.reset()  # replay never reaches a gateway or an upstream
    replayed = _invoke("run", str(suite), "--replay", "--junit", str(junit), "--json", str(out), env=env)
    assert replayed.exit_code == 1
    assert upstream.requests_to("/chat/completions") == []
    root = ET.parse(junit).getroot()
    testcases = {tc.get("name"): tc for tc in root.iter("testcase")}
    assert set(testcases) == {"capital", "wrong-city", "metric thresholds"}
    assert testcases["capital"].find("failure") is None
    assert "Paris" in testcases["wrong-city"].find("failure").get("message")
    again = orjson.loads(out.read_bytes())["suites"][0]
    assert [c["answer"] for c in again["cases"]] == [c["answer"] for c in data["cases"]]


def test_passing_suite_exits_0_and_a_replay_miss_names_the_case(
    make_gateway, upstream, tmp_path: Path, env: dict[str, str]
) -> None:
    suite = _write(tmp_path, extra="")
    with make_gateway({"model_list": [deployment("m1", upstream)]}) as gw:
        result = _invoke("run", str(suite), "--gateway", gw.base_url, "--key", gw.keys["alpha"], "--record", env=env)
    assert result.exit_code == 0, result.output
    assert _invoke("run", str(suite), "--replay", env=env).exit_code == 0
    _write(tmp_path, extra=WRONG)  # a case the cassette has never seen
    missed = _invoke("run", str(suite), "--replay", env=env)
    assert missed.exit_code == 1
    assert "replay miss: no recorded answer for case 'wrong-city'" in missed.output


def test_failed_upstream_call_is_a_failed_case(make_gateway, upstream, tmp_path: Path, env: dict[str, str]) -> None:
    extra = WRONG.replace("[[fake:reply=Lyon, I think.]]", "[[fake:status=500]]")
    suite = _write(tmp_path, extra=extra)
    with make_gateway({"model_list": [deployment("m1", upstream)], "router_settings": {"num_retries": 0}}) as gw:
        result = _invoke("run", str(suite), "--gateway", gw.base_url, "--key", gw.keys["alpha"], env=env)
    assert result.exit_code == 1
    assert "wrong-city" in result.output and "no answer" in result.output


def test_bad_suite_is_a_setup_error_naming_file_and_line(tmp_path: Path, env: dict[str, str]) -> None:
    suite = _write(tmp_path, extra="    colour: red\n")
    result = _invoke("run", str(suite), "--replay", env=env)
    assert result.exit_code == 2
    assert f"{suite}:12: unknown key 'cases.0.colour'" in result.output
    lint = _invoke("lint", str(suite), env=env)
    assert lint.exit_code == 1 and "unknown key 'cases.0.colour'" in lint.output


def test_record_and_replay_exclude_each_other(tmp_path: Path, env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["eval", "run", str(_write(tmp_path)), "--record", "--replay"], env=env)
    assert result.exit_code == 2


def test_runs_are_stored_in_the_registry(make_gateway, upstream, tmp_path: Path, env: dict[str, str]) -> None:
    from registry.db import make_engine
    from registry.eval_runs import list_runs
    from registry.migrate import upgrade

    suite = _write(tmp_path, extra="")
    with make_gateway({"model_list": [deployment("m1", upstream)]}) as gw:
        _invoke("run", str(suite), "--gateway", gw.base_url, "--key", gw.keys["alpha"], "--record", env=env)
    upgrade(env["DATABASE_URL"])
    engine = make_engine(env["DATABASE_URL"])
    runs = list_runs(engine)
    engine.dispose()
    assert [(r.suite, r.mode, r.passed, r.cases) for r in runs] == [("scripted", "record", True, 1)]
    assert runs[0].metrics["rouge"] == pytest.approx(1.0)
    listed = _invoke("history", env=env)
    assert listed.exit_code == 0 and "scripted - m1 record pass 1/1 rouge=1.000" in listed.output


def test_cost_ceiling_reads_the_usage_row_and_replays_it(make_gateway, upstream, tmp_path: Path) -> None:
    extra = WRONG.replace("{contains: Paris}", "{max_cost_usd: 0.0000001}").replace("wrong-city", "costly")
    suite = _write(tmp_path, extra=extra)
    out = tmp_path / "result.json"
    with make_gateway({"model_list": [deployment("m1", upstream)]}) as gw:
        gw_env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'gw.db'}"}  # the gateway's own registry
        live = _invoke("run", str(suite), "--gateway", gw.base_url, "--key", gw.keys["alpha"], "--record",
                       "--json", str(out), "--no-store", env=gw_env)
    assert live.exit_code == 1
    costly = {c["id"]: c for c in orjson.loads(out.read_bytes())["suites"][0]["cases"]}["costly"]
    assert costly["cost_usd"] > 0.0000001 and "max_cost_usd: cost $" in costly["failures"][0]
    replayed = _invoke("run", str(suite), "--replay", "--json", str(out), "--no-store", env={})
    again = {c["id"]: c for c in orjson.loads(out.read_bytes())["suites"][0]["cases"]}["costly"]
    assert replayed.exit_code == 1 and again["cost_usd"] == costly["cost_usd"]


def test_baseline_comparison_in_markdown(make_gateway, upstream, tmp_path: Path, env: dict[str, str]) -> None:
    suite = _write(tmp_path)
    baseline, md = tmp_path / "baseline.json", tmp_path / "report.md"
    with make_gateway({"model_list": [deployment("m1", upstream)]}) as gw:
        _invoke("run", str(suite), "--gateway", gw.base_url, "--key", gw.keys["alpha"], "--record", env=env)
    _invoke("run", str(suite), "--replay", "--json", str(baseline), env=env)
    data = orjson.loads(baseline.read_bytes())
    data["suites"][0]["metrics"]["rouge"] = 0.9  # as if the stored run had scored higher
    data["suites"][0]["cases"][1]["passed"] = True
    baseline.write_bytes(orjson.dumps(data))
    result = _invoke("run", str(suite), "--replay", "--baseline", str(baseline), "--markdown", str(md),
                     "--html", str(tmp_path / "r.html"), env=env)
    assert result.exit_code == 1
    text = md.read_text()
    assert "| rouge | 0.900 |" in text and "| `wrong-city` | pass | fail |" in text
    html = (tmp_path / "r.html").read_text()
    assert "<svg" in html and "wrong-city" in html
    assert not any(tag in html for tag in ("<script", "<link", "src=", "@import"))  # opens with no network
