"""Hostile JSON bodies for the body fuzzer: random types, integers past 64 bits, deep nesting, odd unicode,
oversized strings, and valid bodies with one value swapped for one of those."""

from __future__ import annotations

import json
import random
from typing import Any

NASTY_SCALARS: list[Any] = [
    None, True, False, 0, -1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**40, -(10**40), 1e308, -1e308, 5e-324,
    0.1, "", " ", "0", "-1", "99999999999d", "1e308", "NaN", "null", "true", "\x00", "a\x00b", "\u202e\u2066",
    "\U0001f600" * 50, "é" * 1000, "𠜎" * 500, "<script>alert(1)</script>", "'; DROP TABLE teams; --",
    "../../etc/passwd",
    "%2e%2e%2f", "${jndi:ldap://127.0.0.1:1/a}", "{{7*7}}", "{% for x in range(10**9) %}{% endfor %}", "x" * 70_000,
]


def nasty(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.55:
        return rng.choice(NASTY_SCALARS)
    if roll < 0.75:
        return [nasty(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["name", "team", "version", "records", "features", "messages", "model", "rpm", "x", "", "__proto__",
            "$ref", "\x00", "a" * 300]
    return {rng.choice(keys): nasty(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def deep(rng: random.Random) -> str:
    levels = rng.choice([64, 300, 1000, 5000])
    opener, closer = ("[", "]") if rng.random() < 0.5 else ('{"a":', "}")
    return opener * levels + "1" + closer * levels


def mutate(rng: random.Random, value: Any) -> Any:
    """`value` with one leaf, key or item replaced by a nasty value."""
    if isinstance(value, dict) and value:
        key = rng.choice(list(value))
        out = dict(value)
        if rng.random() < 0.2:
            out.pop(key)
        else:
            out[key] = mutate(rng, value[key]) if rng.random() < 0.5 else nasty(rng)
        return out
    if isinstance(value, list) and value:
        out_list = list(value)
        index = rng.randrange(len(out_list))
        out_list[index] = mutate(rng, out_list[index]) if rng.random() < 0.5 else nasty(rng)
        return out_list
    return nasty(rng)


RAW_BODIES = [b"", b"{", b"[", b"null", b"NaN", b'{"a": NaN}', b'{"a": Infinity}', b'"\\ud800"', b'{"a": "\\ud800"}',
              b"\xff\xfe", b'{"a": 1, "a": 2}', b"1" * 5000, b'{"rpm": 1e400}', b"\x00" * 10]


def body(rng: random.Random, valid: Any) -> bytes:
    roll = rng.random()
    if roll < 0.1:
        return rng.choice(RAW_BODIES)
    if roll < 0.2:
        return deep(rng).encode()
    value = mutate(rng, valid) if valid is not None and roll < 0.7 else nasty(rng)
    return json.dumps(value, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
