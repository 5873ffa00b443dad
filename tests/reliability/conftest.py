"""Fault tests reuse the end-to-end gateway fixtures (a real Warden on a socket, fake upstreams)."""

from __future__ import annotations

from tests.gateway.conftest import gw, make_gateway, second_upstream  # noqa: F401  (fixtures)
