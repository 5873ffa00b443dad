"""`warden serve` logs at INFO, but a library's per-request INFO lines (presidio, httpx) are held back."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from gateway.cli.quiet_logs import PER_REQUEST_LOGGERS, quiet_per_request_loggers


@pytest.fixture()
def levels() -> Iterator[None]:
    saved = {name: logging.getLogger(name).level for name in PER_REQUEST_LOGGERS}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_library_info_lines_are_dropped_and_warnings_kept(levels: None, caplog: pytest.LogCaptureFixture) -> None:
    for name in PER_REQUEST_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.getLogger("httpx").setLevel(logging.DEBUG)  # chosen by the operator: left alone
    quiet_per_request_loggers()
    with caplog.at_level(logging.INFO):
        logging.getLogger("presidio-analyzer").info("Fetching all recognizers for language en")
        logging.getLogger("presidio-analyzer").warning("a recognizer failed")
        logging.getLogger("warden").info("Warden on http://127.0.0.1:8000/v1")
    assert [r.getMessage() for r in caplog.records] == ["a recognizer failed", "Warden on http://127.0.0.1:8000/v1"]
    assert logging.getLogger("httpx").level == logging.DEBUG
