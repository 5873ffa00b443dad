"""Line numbers of YAML keys, so validation errors point at the offending line of a prompt file."""

from __future__ import annotations

import yaml

Location = tuple[str | int, ...]


def key_lines(text: str, first_line: int) -> dict[Location, int]:
    """Map each key path (e.g. `('variables', 'question', 'type')`) to its 1-based line in the file.

    `first_line` is the file line the YAML text starts on. Raises `ValueError("LINE: message")` on a duplicate key,
    which `yaml.safe_load` would otherwise accept silently (the last one winning).
    """
    root = yaml.compose(text)
    found: dict[Location, int] = {(): first_line}
    if root is not None:
        _walk(root, (), first_line, found)
    return found


def _walk(node: yaml.Node, path: Location, first_line: int, found: dict[Location, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            line = first_line + key.start_mark.line
            name = str(key.value)
            if name in seen:
                raise ValueError(f"{line}: duplicate key {name!r}")
            seen.add(name)
            found[(*path, name)] = line
            _walk(value, (*path, name), first_line, found)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found[(*path, index)] = first_line + item.start_mark.line
            _walk(item, (*path, index), first_line, found)


def line_of(found: dict[Location, int], loc: Location) -> int:
    """The line of the longest known prefix of `loc` (pydantic locations may name keys that are missing)."""
    for end in range(len(loc), -1, -1):
        line = found.get(tuple(loc[:end]))
        if line is not None:
            return line
    return 1
