"""YAML data files read strictly, with the line of every field.

A leaf: scenarios, expected-failure lists and the rules all come through here, so each is
refused the same way: anchors, aliases, merge keys and duplicate keys are errors (PyYAML
would silently keep the last duplicate), and every error is one line naming the file, the
line and the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

Lines = dict[str, int]
# libyaml's parser when PyYAML has it (it keeps positions too), else the pure-Python one.
_SafeLoader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


class DataError(ValueError):
    """A data file that cannot be used, and where: `file:line: field: message`."""

    def __init__(self, path: str, line: int, field: str, message: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.message = message
        where = f'{field}: ' if field else ''
        super().__init__(f'{path}:{line}: {where}{message}')


def field_name(path: Iterable[Any]) -> str:
    """A field's dotted name: `expect.tasks[0].status` for ('expect', 'tasks', 0, 'status')."""
    out = ''
    for part in path:
        out += f'[{part}]' if isinstance(part, int) else (f'.{part}' if out else str(part))
    return out


def read(text: str, path: str) -> tuple[Any, Lines]:
    """Parse one YAML document safely, and map each field to its line."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise DataError(path, 1, '', 'the file is empty')
        lines: Lines = {}
        _walk(node, (), lines, path, set())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        problem = e.problem or e.context or 'invalid YAML'
        raise DataError(path, line, '', f'YAML syntax error: {problem}') from None
    except yaml.YAMLError as e:
        raise DataError(path, 1, '', f'YAML error: {e}') from None
    finally:
        loader.dispose()
    return data, lines


def _walk(node: yaml.Node, at: tuple[Any, ...], lines: Lines, path: str, seen: set[int]) -> None:
    if id(node) in seen:
        raise DataError(
            path,
            node.start_mark.line + 1,
            field_name(at),
            'YAML anchors and aliases are not allowed',
        )
    seen.add(id(node))
    lines[field_name(at)] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        keys: set[Any] = set()
        for key_node, value_node in node.value:
            if key_node.tag == 'tag:yaml.org,2002:merge':
                raise DataError(
                    path,
                    key_node.start_mark.line + 1,
                    field_name(at),
                    'YAML merge keys are not allowed',
                )
            key = key_node.value
            if key in keys:
                raise DataError(
                    path, key_node.start_mark.line + 1, field_name((*at, key)), 'duplicate key'
                )
            keys.add(key)
            _walk(value_node, (*at, key), lines, path, seen)
    elif isinstance(node, yaml.SequenceNode):
        for n, item in enumerate(node.value):
            _walk(item, (*at, n), lines, path, seen)
