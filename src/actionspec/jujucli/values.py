"""Action params from the command line, read as `juju run` reads them.

Each `key.key...=value` word's value is YAML, decoded by yaml.v2 (juju/yaml v2): YAML 1.1
scalars, so `y`, `yes` and `on` are true, `0x1f` is 31, and a timestamp-looking value stays
a string. A `--params` file is read first; the words then set their dotted paths in turn,
replacing whatever was there (cmd/juju/action/run.go `enqueueActions`, common.go
`addValueToMap`, `ConformYAML`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import yaml

from ..juju import goformat


class ParamsError(ValueError):
    """The params cannot be read; the text is Juju's."""


_INT = re.compile(r'^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$')
_FLOAT = re.compile(r'^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$')
_INFINITIES = {
    **dict.fromkeys(('.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'), math.inf),
    **dict.fromkeys(('-.inf', '-.Inf', '-.INF'), -math.inf),
}


def scalar(text: str) -> Any:
    """A plain (unquoted) YAML scalar as yaml.v2 resolves it (resolve.go `resolve`)."""
    if text in ('', '~', 'null', 'Null', 'NULL'):
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in _INFINITIES:
        return _INFINITIES[text]
    if text in ('.nan', '.NaN', '.NAN'):
        return math.nan
    if text[:1] in '+-.0123456789':
        plain = text.replace('_', '')
        if _INT.match(plain):
            return _go_int(plain)
        if _FLOAT.match(plain):
            return float(plain)
    return text  # timestamps too: decoded into interface{}, they stay strings


_TRUE = frozenset(('y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'))
_FALSE = frozenset(('n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'))


def _go_int(plain: str) -> int:
    """strconv.ParseInt(s, 0, 64): a `0x`, `0o`, `0b` or leading-zero octal prefix."""
    sign = -1 if plain.startswith('-') else 1
    digits = plain.lstrip('+-').lower()
    if digits.startswith(('0x', '0o', '0b')):
        return sign * int(digits, 0)
    if len(digits) > 1 and digits.startswith('0'):
        return sign * int(digits, 8)
    return sign * int(digits)


def decode(text: str, empty: Any = None) -> Any:
    """A YAML document decoded as yaml.v2 decodes it into `interface{}`, then conformed
    (maps keyed by strings); `empty` for a document with nothing in it."""
    try:
        node = yaml.compose(text, Loader=_NodeLoader)
    except yaml.YAMLError as e:
        raise ParamsError(_yaml_error(e)) from None
    return empty if node is None else _value(node)


_PLAIN = '!actionspec/plain'


class _NodeLoader(yaml.SafeLoader):
    """Composes nodes, marking plain scalars for yaml.v2's rules to resolve."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


def _value(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _value(key_node)
            if not isinstance(key, str):
                raise ParamsError(f'map keyed with non-string value {goformat.json_marshal(key)}')
            mapping[key] = _value(value_node)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [_value(item) for item in node.value]
    assert isinstance(node, yaml.ScalarNode)
    return scalar(node.value) if node.tag == _PLAIN else node.value


def _yaml_error(error: yaml.YAMLError) -> str:
    """A PyYAML error in the words yaml.v2 uses for the common cases."""
    problem = getattr(error, 'problem', None) or str(error)
    mark = getattr(error, 'problem_mark', None)
    if 'end of stream' in problem or 'unexpected end' in problem:
        return 'yaml: found unexpected end of stream'
    if 'mapping values are not allowed' in problem and mark is not None:
        return f'yaml: line {mark.line + 1}: mapping values are not allowed in this context'
    line = f'line {mark.line + 1}: ' if mark is not None else ''
    return f'yaml: {line}{problem}'


def command_value(text: str, *, string_args: bool) -> Any:
    """A `key=value` word's value: its YAML, or the text itself with `--string-args`.
    An empty value stays the empty string (yaml.v2 leaves the target as it was)."""
    if string_args:
        return text
    return decode(text, empty=text)


def add_value(params: dict[str, Any], keys: Sequence[str], value: Any) -> None:
    """Set `value` at the dotted path `keys`, replacing a non-map on the way by a map."""
    node = params
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[keys[-1]] = value
