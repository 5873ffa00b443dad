"""The Jinja environment prompt templates compile in: immutable sandbox, strict undefined, nothing reachable.

Stricter than Jinja's stock sandbox, because a template must never be able to burn CPU or memory or reach Python:
- no loader, so `include`/`import`/`extends` cannot read files (the parser also rejects them up front);
- no globals (`range`, `lipsum`, `cycler`, `joiner`, `namespace`, `dict` are gone);
- only an allowlist of filters (no `format`, `attr`, `center`, `indent`, `wordwrap`, `slice`, `batch`, `random`...);
- no attribute access on data at all: `question.upper()`, `question.__class__`, `'{0}'.format(...)` are refused
  (use filters; dict keys are read with `obj.key` or `obj['key']`); only `loop.*` attributes work;
- `**` is refused, `%` on strings is refused, and `*` may not build a sequence longer than `MAX_REPEAT`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

MAX_REPEAT = 10_000
ALLOWED_FILTERS = frozenset(
    {
        "abs",
        "capitalize",
        "count",
        "d",
        "default",
        "dictsort",
        "first",
        "float",
        "int",
        "items",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "map",
        "max",
        "min",
        "reject",
        "rejectattr",
        "replace",
        "reverse",
        "round",
        "select",
        "selectattr",
        "sort",
        "string",
        "sum",
        "title",
        "tojson",
        "trim",
        "truncate",
        "unique",
        "upper",
        "wordcount",
    }
)
FORBIDDEN_NODES: tuple[type[nodes.Node], ...] = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


class PromptSandbox(ImmutableSandboxedEnvironment):
    """Immutable sandbox with no globals, allowlisted filters and no attribute access on values."""

    intercepted_binops = frozenset({"**", "*", "%"})

    def __init__(self) -> None:
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,
            cache_size=0,
        )
        self.globals.clear()
        for name in list(self.filters):
            if name not in ALLOWED_FILTERS:
                del self.filters[name]

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # Values are data: reading methods or attributes off them is how sandbox escapes start.
        return isinstance(obj, LoopContext) and super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        # Jinja would hand out a sandboxed `str.format`; we hand out nothing, so `is_safe_attribute` refuses it.
        return None

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("the power operator '**' is not allowed in prompt templates")
        if operator == "%":
            if isinstance(left, str):
                raise SecurityError("'%' string formatting is not allowed in prompt templates")
            return left % right
        if _is_sequence(left) or _is_sequence(right):
            seq, count = (left, right) if _is_sequence(left) else (right, left)
            if isinstance(count, int) and len(seq) * count > MAX_REPEAT:
                raise SecurityError(f"repeating a sequence beyond {MAX_REPEAT} items is not allowed")
        return left * right


def _is_sequence(value: object) -> bool:
    return isinstance(value, (str, list, tuple))


_ENV: PromptSandbox | None = None


def sandbox() -> PromptSandbox:
    """The shared environment (built on first use, not at import)."""
    global _ENV
    if _ENV is None:
        _ENV = PromptSandbox()
    return _ENV


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """A compiled template and the free variables it reads, each with the (template-relative) line of first use."""

    template: Template
    variables: dict[str, int]


def compile_template(source: str) -> CompiledTemplate:
    """Compile `source` in the sandbox; raises `jinja2.TemplateSyntaxError` (also for include/import/extends)."""
    env = sandbox()
    tree = env.parse(source)
    for node in tree.find_all(FORBIDDEN_NODES):
        raise TemplateSyntaxError(f"'{type(node).__name__.lower()}' is not allowed in prompt templates", node.lineno)
    free = meta.find_undeclared_variables(tree)
    lines: dict[str, int] = {}
    for name_node in tree.find_all(nodes.Name):
        if name_node.name in free and name_node.ctx == "load":
            lines.setdefault(name_node.name, name_node.lineno)
    return CompiledTemplate(env.from_string(tree), lines)
