"""Parsing prompt files and `lint`: schema errors, variable checks and line-accurate messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.prompts.document import parse_document
from gateway.prompts.lint import lint_path

REPO_PROMPTS = Path(__file__).resolve().parents[3] / "prompts"

HEADER = """---
name: doc
description: d
owner: o
team: t
model: m
"""


def _doc(front: str, body: str) -> str:
    return f"{HEADER}{front}---\n{body}"


GOOD_BODY = "## system\nBe brief.\n\n## user\n{{ q }}\n"
GOOD_VARS = "variables:\n  q:\n    type: string\n"

# (case id, file text, expected line, severity, fragment of the message)
CASES = [
    ("no front matter", "## user\nhi\n", 1, "error", "starts with a '---'"),
    ("unclosed front matter", "---\nname: doc\n", 1, "error", "never closed"),
    ("bad yaml", _doc(GOOD_VARS + "guardrail_policy: a: b\n", GOOD_BODY), 10, "error", "invalid YAML"),
    ("unknown top-level key", _doc("colour: blue\n" + GOOD_VARS, GOOD_BODY), 7, "error", "colour"),
    (
        "unknown variable key",
        _doc("variables:\n  q:\n    type: string\n    secret: 1\n", GOOD_BODY),
        10,
        "error",
        "secret",
    ),
    ("bad variable type", _doc("variables:\n  q:\n    type: strng\n", GOOD_BODY), 9, "error", "variables.q.type"),
    ("bad temperature", _doc("parameters:\n  temperature: 9\n" + GOOD_VARS, GOOD_BODY), 8, "error", "temperature"),
    (
        "bad override",
        _doc("allow_overrides: [temperature, api_key]\n" + GOOD_VARS, GOOD_BODY),
        7,
        "error",
        "allow_overrides.1",
    ),
    ("duplicate key", _doc("model: again\n" + GOOD_VARS, GOOD_BODY), 7, "error", "duplicate key 'model'"),
    (
        "store var without default",
        _doc("variables:\n  q:\n    type: string\n    source: store\n", GOOD_BODY),
        8,
        "error",
        "needs a `default`",
    ),
    (
        "required and default",
        _doc("variables:\n  q:\n    type: string\n    required: true\n    default: x\n", GOOD_BODY),
        8,
        "error",
        "both",
    ),
    (
        "bad json schema",
        _doc(GOOD_VARS + "response_format:\n  type: json_schema\n  name: x\n  schema: {type: 12}\n", GOOD_BODY),
        10,
        "error",
        "invalid JSON schema",
    ),
    (
        "undeclared variable",
        _doc(GOOD_VARS, "## system\nBe brief.\n\n## user\n{{ q }}\nand {{ other }}\n"),
        16,
        "error",
        "'other' is used",
    ),
    (
        "unused variable",
        _doc(GOOD_VARS + "  spare:\n    type: integer\n    default: 1\n", GOOD_BODY),
        10,
        "warning",
        "never used",
    ),
    (
        "caller var in system",
        _doc(GOOD_VARS, "## system\nHello\n{{ q }}\n## user\n{{ q }}\n"),
        13,
        "error",
        "may only fill '## user'",
    ),
    (
        "template syntax",
        _doc(GOOD_VARS, "## system\nBe brief.\n\n## user\nline\n{% if q %}\n{{ q }}\n"),
        17,
        "error",
        "template error",
    ),
    (
        "include refused",
        _doc(GOOD_VARS, "## system\nHi\n## user\n{{ q }}\n{% include 'x.md' %}\n"),
        15,
        "error",
        "'include' is not allowed",
    ),
    (
        "import refused",
        _doc(GOOD_VARS, "## user\n{% import 'm' as m %}{{ q }}\n"),
        12,
        "error",
        "'import' is not allowed",
    ),
    ("text before sections", _doc(GOOD_VARS, "stray text\n## user\n{{ q }}\n"), 11, "error", "before the first"),
    ("empty section", _doc(GOOD_VARS, "## system\n\n## user\n{{ q }}\n"), 11, "error", "empty"),
    ("no user section", _doc("", "## system\nhi\n"), 8, "error", "at least one '## user'"),
    ("system twice", _doc(GOOD_VARS, "## system\na\n## user\n{{ q }}\n## system\nb\n"), 15, "error", "once"),
    (
        "name mismatch",
        _doc(GOOD_VARS, GOOD_BODY).replace("name: doc", "name: other"),
        2,
        "error",
        "match the file name",
    ),
    ("front matter not a mapping", "---\n- a\n---\n## user\nx\n", 2, "error", "must be a mapping"),
]


@pytest.mark.parametrize(("text", "line", "severity", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_issue_is_reported_on_the_right_line(text: str, line: int, severity: str, fragment: str) -> None:
    doc = parse_document(text, "doc.md", "doc")
    matching = [i for i in doc.issues if fragment in i.message]
    assert matching, f"no issue containing {fragment!r} in {[str(i) for i in doc.issues]}"
    assert (matching[0].line, matching[0].severity) == (line, severity), str(matching[0])
    assert str(matching[0]).startswith(f"doc.md:{line}: {severity}: ")


def test_valid_document_has_no_issue_and_keeps_other_headings_as_text() -> None:
    body = "## system\n## Rules\nBe brief.\n\n\n## user\n\n{{ q }}\n\n"
    doc = parse_document(_doc(GOOD_VARS, body), "doc.md", "doc")
    assert doc.issues == ()
    assert [(m.role, m.source, m.line) for m in doc.messages] == [
        ("system", "## Rules\nBe brief.", 12),
        ("user", "{{ q }}", 18),
    ]


def test_repository_example_prompts_lint_clean() -> None:
    issues = lint_path(REPO_PROMPTS)
    assert [str(i) for i in issues] == []
    names = {p.stem for p in REPO_PROMPTS.rglob("*.md") if p.stem.lower() != "readme"}
    assert {"support-answer", "ticket-classifier", "summarise-thread"} <= names


def test_lint_folder_finds_duplicate_names_and_bad_labels(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    text = _doc(GOOD_VARS, GOOD_BODY)
    (tmp_path / "a" / "doc.md").write_text(text)
    (tmp_path / "b" / "doc.md").write_text(text)
    (tmp_path / "labels.yaml").write_text("doc:\n  production: not-a-sha\n")
    messages = [f"{i.severity}: {i.message}" for i in lint_path(tmp_path)]
    assert any("already used by" in m for m in messages)
    assert any(m.startswith("error:") and "'not-a-sha' is not a commit SHA" in m for m in messages)


def test_lint_missing_path_is_an_error(tmp_path: Path) -> None:
    issues = lint_path(tmp_path / "nope")
    assert len(issues) == 1 and issues[0].severity == "error"
