"""The version evidence in a real browser: a validation report Warden computed (over the REST API, from a generated
evaluation set where group b is treated unfairly) and an interpretability record show on the model page; the
validation report with its plots opens from there; another team's report is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.gateway.console.browser_support import browser  # noqa: F401 - the fixture
from tests.gateway.console.console_support import ALPHA_MODEL, BETA_MODEL, Seeded, seeded_gateway
from tests.gateway.console.test_console_browser import _shot, _sign_in
from tests.registry.validation.validation_synth import evaluation_set
from tests.support.fake_upstream import FakeUpstream

M = f"/registry/models/{ALPHA_MODEL}"
RECORD = {"method": "shap", "author": "Vera", "recorded_on": "2030-01-02", "artifact_uri": "s3://ml/bot/2/shap.parquet",
          "importances": [{"feature": "ticket_length", "importance": 0.12}, {"feature": "language", "importance": 0.41}]}


@pytest.fixture()
def seeded(upstream: FakeUpstream, tmp_path: Path) -> Iterator[Seeded]:
    with seeded_gateway(upstream, tmp_path) as s:
        key = {"authorization": f"Bearer {s.gw.keys['alpha']}"}
        with httpx.Client(base_url=s.gw.base_url, timeout=60, headers=key) as http:
            body = evaluation_set(unfair=True).to_csv(index=False).encode()
            done = http.post(M + "/versions/2/validate", content=body,
                             params={"format": "csv", "sensitive": "group", "bootstrap": "20"})
            assert done.status_code == 200 and not done.json()["passed"], done.text
            assert http.put(M + "/versions/2/interpretability", json=RECORD).status_code == 200
        yield s


def test_model_page_shows_the_evidence_and_opens_the_report(browser: Browser, seeded: Seeded,  # noqa: F811
                                                            tmp_path: Path) -> None:
    alpha = _sign_in(browser, seeded, seeded.gw.keys["alpha"])
    alpha.goto(f"/console/model?name={ALPHA_MODEL}")
    evidence = alpha.locator("#evidence")
    expect(evidence).to_contain_text("Version 1")  # the typed report of version 1
    expect(evidence).to_contain_text("Validation passed · vera")
    version2 = evidence.locator("section", has_text="Version 2")
    expect(version2).to_contain_text("Validation FAILED")
    expect(version2).to_contain_text("computed by warden models validate from 1600 rows")
    expect(version2.locator(".fairness")).to_contain_text("Fairness group: FAILED")
    expect(version2.locator(".interpretability")).to_contain_text("shap · Vera on 2030-01-02")
    assert version2.locator("figure svg").count() == 1
    bars = version2.locator("figure svg text").all_text_contents()
    assert bars.index("language") < bars.index("ticket_length")  # ranked by importance
    _shot(alpha, tmp_path, "model-evidence", ["Validation and interpretability", "demographic parity difference",
                                              "Global feature importance"])

    version2.locator("a.validation-report").click()
    expect(alpha.locator("h1")).to_contain_text(f"{ALPHA_MODEL} · version 2: validation FAILED")
    expect(alpha.locator("body")).to_contain_text("Fairness: group")
    assert alpha.locator("svg").count() >= 4  # segments, calibration, selection and true positive rates
    _shot(alpha, tmp_path, "validation-report", ["Calibration", "Selection rate by group"])

    alpha.goto(f"/console/model/validation?name={BETA_MODEL}&version=1")
    expect(alpha.locator("body")).to_contain_text(BETA_MODEL)
    assert "Error 404" in alpha.inner_text("body")
