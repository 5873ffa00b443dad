"""The console in a real browser: sign in, read a team's costs, vote on a review, and team A kept out of team B.
Screenshots of the main pages go to a temporary folder; each is checked for the content it must show."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.gateway.console.browser_support import browser  # noqa: F401 - the fixture
from tests.gateway.console.console_support import ALPHA_MODEL, BETA_MODEL, Seeded, seeded_gateway
from tests.support.fake_upstream import FakeUpstream


@pytest.fixture()
def seeded(upstream: FakeUpstream, tmp_path: Path) -> Iterator[Seeded]:
    with seeded_gateway(upstream, tmp_path) as s:
        yield s


def _sign_in(browser: Browser, seeded: Seeded, key: str) -> Page:
    page = browser.new_context(base_url=seeded.gw.base_url, viewport={"width": 1280, "height": 900}).new_page()
    page.goto("/console/costs")
    expect(page).to_have_url(f"{seeded.gw.base_url}/console/login")
    page.fill("#key", key)
    page.click("#sign-in")
    expect(page).to_have_url(f"{seeded.gw.base_url}/console/costs")
    return page


def _shot(page: Page, folder: Path, name: str, must_show: list[str]) -> Path:
    """Save a full-page screenshot after checking the page shows every `must_show` text."""
    text = page.inner_text("body")
    missing = [item for item in must_show if item not in text]
    assert not missing, f"{name}: the page does not show {missing}"
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and width == 1280 and height >= 300 and len(data) > 10_000, name
    return path


def test_team_costs_review_vote_and_isolation(browser: Browser, seeded: Seeded, tmp_path: Path) -> None:  # noqa: F811
    shots = tmp_path / "screenshots"
    shots.mkdir()
    alpha = _sign_in(browser, seeded, seeded.gw.keys["alpha"])
    cookie = next(c for c in alpha.context.cookies() if c["name"] == "warden_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and seeded.gw.keys["alpha"] not in cookie["value"]
    expect(alpha.locator("#scope")).to_have_text("alpha")
    expect(alpha.locator("#by-model")).to_contain_text("chat-a")
    expect(alpha.locator("#by-model")).not_to_contain_text("chat-b")
    expect(alpha.locator("#budgets")).to_contain_text("$5.0000")
    _shot(alpha, shots, "costs-alpha", ["Costs and tokens of team alpha", "chat-a", "Budgets", "Cost per day"])
    assert alpha.locator("svg").count() >= 3

    alpha.click("text=Models")
    expect(alpha.locator("#models")).to_contain_text(ALPHA_MODEL)
    expect(alpha.locator("#models")).not_to_contain_text(BETA_MODEL)
    alpha.goto(f"/console/model?name={BETA_MODEL}")  # team A asking for team B's model by name
    expect(alpha.locator("#error")).to_contain_text(BETA_MODEL)
    _shot(alpha, shots, "team-b-refused", ["Error 404", BETA_MODEL])
    alpha.goto("/console/alerts")
    expect(alpha.locator("#alerts")).not_to_contain_text("beta accuracy")
    row = alpha.locator("#alerts tr", has_text="PSI of ticket_length")
    row.locator("input[name=note]").fill("retraining scheduled")
    row.locator("button").click()
    expect(alpha.locator("#alerts tr", has_text="PSI of ticket_length").locator(".ack")).to_contain_text(
        "retraining scheduled")
    _shot(alpha, shots, "alerts-alpha", ["PSI of ticket_length", "warning", "@alpha"])
    alpha.click("text=Guardrails")
    expect(alpha.locator("#notable")).not_to_contain_text("req-beta-blocked")
    alpha.click("text=req-alpha-blocked")
    expect(alpha.locator("#request")).to_contain_text("<EMAIL_ADDRESS> (alpha)")
    alpha.go_back()
    _shot(alpha, shots, "guardrails-alpha", ["injection", "block", "req-alpha-blocked"])

    board = _sign_in(browser, seeded, seeded.gw.keys["board"])
    board.click("text=Models")
    form = board.locator(f"#vote-{seeded.review_id}")
    _shot(board, shots, "review-queue-board", ["Pending reviews", ALPHA_MODEL, "1 approval(s) as peer"])
    form.locator("select[name=role]").select_option("peer")
    form.locator("input[name=comment]").fill("graded answers look right")
    form.locator("button").click()
    expect(board.locator(f"#vote-{seeded.review_id}")).to_have_count(0)

    alpha.goto(f"/console/model?name={ALPHA_MODEL}")
    expect(alpha.locator(f"#review-{seeded.review_id} .decision")).to_have_text("approved")
    expect(alpha.locator("#reviews")).to_contain_text("graded answers look right")
    _shot(alpha, shots, "model-alpha", [ALPHA_MODEL, "Model card", "draft answers", "ticket_length", "Audit trail"])

    admin = _sign_in(browser, seeded, seeded.gw.admin_key)
    expect(admin.locator("#by-model")).to_contain_text("chat-b")
    admin.click("text=Traffic")
    _shot(admin, shots, "traffic-admin", ["Requests", "Error rate", "gateway overhead", "upstream"])
    expect(admin.locator("#requests")).to_have_text("5")  # 3 answered, 2 blocked by a guardrail
    expect(admin.locator("#error-rate")).to_have_text("40.0%")
    admin.click("text=Keys & teams")
    _shot(admin, shots, "keys-admin", ["Teams", "Keys", "alpha", "beta", "board"])
    assert sorted(p.name for p in shots.iterdir()) == sorted(
        f"{n}.png" for n in ("costs-alpha", "team-b-refused", "alerts-alpha", "guardrails-alpha", "review-queue-board", "model-alpha",
                             "traffic-admin", "keys-admin"))
