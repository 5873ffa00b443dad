"""The labels file keeps every SHA a string: a short SHA made of digits (one in ~27 commits) is not a number."""

from __future__ import annotations

import pytest

from gateway.prompts.errors import PromptFormatError
from gateway.prompts.labels import parse_labels


@pytest.mark.parametrize("sha", ["1234567", "0123456", "0b10101", "abcdef0", "1e23456", "0" * 40])
def test_a_short_or_long_sha_is_read_as_written(sha: str) -> None:
    assert parse_labels(f"greet:\n  production: {sha}\n") == {"greet": {"production": sha}}


@pytest.mark.parametrize("text, message", [
    ("greet:\n  production: ~\n", "not a commit SHA"),
    ("greet:\n  production: [1, 2]\n", "not a commit SHA"),
    ("- greet\n", "expected a mapping of prompt names"),
    ("greet: production\n", "expected a mapping of labels"),
    ("greet: {production: 'abc1234'\n", "invalid YAML"),
])
def test_what_is_not_a_labels_file_is_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(PromptFormatError, match=message):
        parse_labels(text)


def test_an_empty_file_means_no_labels() -> None:
    assert parse_labels("") == {} and parse_labels("# nothing yet\n") == {} and parse_labels("{}\n") == {}
