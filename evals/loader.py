"""Reading suite files: YAML to a validated `Suite`, every error as `file:line: message`; includes resolved."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from evals.suite import Case, Suite
from gateway.prompts.yaml_lines import key_lines, line_of

BUILTIN_DIR = Path(__file__).resolve().parent / "suites"
SUFFIX = ".eval.yaml"


class SuiteError(ValueError):
    """A suite cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class LoadedSuite:
    """A validated suite with its includes' cases folded in (their ids prefixed `include/`)."""

    name: str
    path: Path
    suite: Suite
    cases: tuple[Case, ...]
    prompt: str | None


def parse_suite(text: str, source: str) -> Suite:
    try:
        lines = key_lines(text, 1)
        data = yaml.safe_load(text)
    except ValueError as exc:  # duplicate key, already "LINE: message"
        raise SuiteError(f"{source}:{exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise SuiteError(f"{source}:{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise SuiteError(f"{source}:1: a suite is a mapping with `cases`, got {type(data).__name__}")
    try:
        return Suite.model_validate(data)
    except ValidationError as exc:
        messages = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            # Drop the union tag pydantic inserts into assertion locations (e.g. 'contains').
            clean = tuple(p for p in loc if not (isinstance(p, str) and p in _TAGS and loc.index(p) > 0
                                                  and isinstance(loc[loc.index(p) - 1], int)))
            where = ".".join(str(p) for p in clean) or "(top level)"
            line = line_of(lines, clean)
            if error["type"] == "extra_forbidden":
                messages.append(f"{source}:{line}: unknown key {where!r}")
            else:
                messages.append(f"{source}:{line}: {where}: {error['msg']}")
        raise SuiteError("\n".join(messages)) from None


_TAGS = {"equals", "contains", "not_contains", "regex", "json_schema", "similar", "ceiling", "guardrail"}


def load_suite(ref: str | Path, _seen: frozenset[Path] = frozenset()) -> LoadedSuite:
    """Load a suite by path, or a built-in by name (`security`, `quality`, ...)."""
    path = resolve_path(ref)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteError(f"{path}: cannot read the suite: {exc.strerror}") from None
    suite = parse_suite(text, str(path))
    name = suite.suite or path.name.removesuffix(SUFFIX)
    prompt = suite.prompt
    if prompt is None and path.parent.resolve() != BUILTIN_DIR and (path.parent / f"{name}.md").exists():
        prompt = name  # a suite beside its prompt evaluates that prompt
    cases = list(suite.cases)
    for include in suite.include:
        target = resolve_path(include, path.parent)
        if target.resolve() in _seen | {path.resolve()}:
            raise SuiteError(f"{path}: include {include!r} makes a cycle")
        included = load_suite(target, _seen | {path.resolve()})
        cases += [c.model_copy(update={"id": f"{included.name}/{c.id}",
                                       "assertions": [*included.suite.assertions, *c.assertions]})
                  for c in included.cases]
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        raise SuiteError(f"{path}: two cases share an id after includes")
    if not cases:
        raise SuiteError(f"{path}: the suite has no cases")
    return LoadedSuite(name, path, suite, tuple(cases), prompt)


def resolve_path(ref: str | Path, base: Path | None = None) -> Path:
    text = str(ref)
    if "/" not in text and not text.endswith(".yaml"):
        builtin = BUILTIN_DIR / f"{text}{SUFFIX}"
        if builtin.exists():
            return builtin
        raise SuiteError(f"no built-in suite {text!r}; built-ins: {sorted(builtin_names())!r}")
    path = Path(text)
    if not path.is_absolute() and base is not None and not path.exists():
        path = base / path
    return path


def builtin_names() -> list[str]:
    return sorted(p.name.removesuffix(SUFFIX) for p in BUILTIN_DIR.glob(f"*{SUFFIX}"))


def discover(roots: list[Path]) -> list[Path]:
    """Every suite file under the given folders or files (for `lint` and `run` with no suite named)."""
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
        else:
            found.extend(sorted(root.rglob(f"*{SUFFIX}")))
    return found
