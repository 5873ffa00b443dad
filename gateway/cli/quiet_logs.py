"""Libraries that log at INFO once per request (presidio's "Fetching all recognizers", httpx's "HTTP Request")
are held at WARNING: per-request lines belong to the access log the operator turns on, not to a library."""

from __future__ import annotations

import logging

PER_REQUEST_LOGGERS = ("presidio-analyzer", "presidio-anonymizer", "httpx")


def quiet_per_request_loggers() -> None:
    for name in PER_REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:  # a level the operator set stays
            logger.setLevel(logging.WARNING)
