"""The session cookie and CSRF token on their own, and the browser tests' refusal to skip in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.console.session import LIFETIME_S, NotSignedIn, csrf_token, new_session, session_key_id
from tests.gateway.console import browser_support

SECRET = b"s" * 32


def test_a_session_names_its_key_until_it_expires() -> None:
    cookie = new_session(SECRET, "key_abc", now=1_000.0)
    assert session_key_id(SECRET, cookie, now=1_000.0 + LIFETIME_S - 1) == "key_abc"
    with pytest.raises(NotSignedIn, match="expired"):
        session_key_id(SECRET, cookie, now=1_000.0 + LIFETIME_S)


@pytest.mark.parametrize("tamper", [
    lambda c: c.replace("key_abc", "master"),                  # another key named in the payload
    lambda c: c.rsplit(".", 1)[0] + "." + "0" * 64,           # a made-up signature
    lambda c: c.replace(c.split(".")[1], "9999999999"),       # a later expiry
    lambda c: "",
    lambda c: "a.b.c",
])
def test_a_changed_cookie_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    cookie = new_session(SECRET, "key_abc")
    with pytest.raises(NotSignedIn):
        session_key_id(SECRET, tamper(cookie))
    with pytest.raises(NotSignedIn):
        session_key_id(b"t" * 32, cookie)  # signed with another secret


def test_csrf_tokens_are_bound_to_the_session() -> None:
    one, two = new_session(SECRET, "key_abc"), new_session(SECRET, "key_abc")
    assert csrf_token(SECRET, one) != csrf_token(SECRET, two)
    assert csrf_token(SECRET, one) == csrf_token(SECRET, one)


def test_browser_tests_fail_in_ci_without_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        browser_support.require_chromium()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        browser_support.require_chromium()
